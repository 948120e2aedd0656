package dev.sandpod.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

/**
 * A blocking run whose output streams. It runs on a virtual thread of its own, so that the request's thread is free to
 * write its events as they come; until it holds a sandbox nothing is sent, so that a refusal (a quota, a full queue, a
 * drain) answers with the same status and problem as the blocking call's. Once the stream is open, every end is a
 * {@code result} event, a run cut short by the service included.
 */
final class StreamedRun {
    private static final System.Logger LOG = System.getLogger(StreamedRun.class.getName());
    private final RunId id = RunId.random();
    private final RunEvents events = new RunEvents();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final long submitted = System.nanoTime();
    private Thread thread;

    private StreamedRun() {
    }

    /** @param onEnd told the result before the stream's result event goes out */
    static StreamedRun start(RunGate gate, String keyId, RunRequest request, Consumer<RunResult> onEnd) {
        StreamedRun run = new StreamedRun();
        run.thread = Thread.ofVirtual().name("streamed-" + run.id).start(() -> run.execute(gate, keyId, request, onEnd));
        return run;
    }

    RunEvents events() {
        return events;
    }

    /** Waits until the run holds a sandbox slot, or has ended; throws what refused it before that. */
    void awaitStart() throws Exception {
        try {
            started.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception refusal ? refusal : e;
        }
    }

    /** Stops the run, kills its sandbox (nobody is left to read it) and waits until it has ended. */
    void cancel() throws InterruptedException {
        thread.interrupt();
        thread.join();
    }

    private void execute(RunGate gate, String keyId, RunRequest request, Consumer<RunResult> onEnd) {
        RunResult ended;
        try {
            ended = gate.run(keyId, request, id, () -> {
                events.status(AsyncRuns.pending(id, "running"));
                started.complete(null);
            }, events);
        } catch (Exception e) {
            if (started.completeExceptionally(e)) {
                return;
            }
            ended = RunResult.killed(id, gate.backend(), "not finished: " + why(e),
                    Duration.ofNanos(System.nanoTime() - submitted).toMillis());
        }
        onEnd.accept(ended);
        events.end(Json.result(ended, request));
        started.complete(null);
    }

    private String why(Exception e) {
        return switch (e) {
            case InterruptedException gone -> "the client went away";
            case ApiException refused -> refused.problem().detail();
            case BackendUnavailableException unavailable -> unavailable.getMessage();
            default -> {
                LOG.log(System.Logger.Level.ERROR, "streamed run " + id + " failed", e);
                yield "the run failed";
            }
        };
    }
}
