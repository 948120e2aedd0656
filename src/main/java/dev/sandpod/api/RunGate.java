package dev.sandpod.api;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;
import io.helidon.webserver.http.ServerRequest;

import dev.sandpod.run.Executor;
import dev.sandpod.run.OutputSink;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

/** Runs an admitted request on the executor and counts the outcome; the one place the API touches the backend. */
final class RunGate {
    private final Executor executor;
    private final Admission admission;
    private final KeyQuotas keyQuotas;
    private final Drain drain;
    private final Timer duration;

    RunGate(Executor executor, Admission admission, KeyQuotas keyQuotas, Drain drain) {
        this.executor = executor;
        this.admission = admission;
        this.keyQuotas = keyQuotas;
        this.drain = drain;
        this.duration = Metrics.getOrCreate(Timer.builder("sandpod.run.duration")
                .description("Wall time of runs from admission to result"));
        Metrics.getOrCreate(Gauge.builder("sandpod.runs.in.flight", admission::inFlight)
                .description("Runs holding a sandbox slot"));
        Metrics.getOrCreate(Gauge.builder("sandpod.runs.queued", admission::queued)
                .description("Runs waiting for a sandbox slot"));
    }

    RunResult run(ServerRequest req, RunRequest request) throws Exception {
        RunResult result = run(Caller.keyId(req), request, RunId.random(), () -> { }, OutputSink.NONE);
        AccessLog.noteRunStatus(req, result.status());
        return result;
    }

    /**
     * Runs {@code request} as {@code id} for {@code keyId} (null without keys), through the same quotas and admission
     * as a request's own run; {@code onStart} runs once it holds a sandbox slot, and {@code sink} gets the output while
     * it runs.
     */
    RunResult run(String keyId, RunRequest request, RunId id, Runnable onStart, OutputSink sink) throws Exception {
        long start = System.nanoTime();
        RunResult result = keyQuotas.admit(keyId, () -> drain.take(() -> admission.admit(() -> {
            drain.refuseIfDraining();
            onStart.run();
            return executor.run(request, id, sink);
        })));
        duration.record(java.time.Duration.ofNanos(System.nanoTime() - start));
        String status = result.status().wireName();
        Counters.add("sandpod.runs", "Finished runs by status and backend", 1, "status", status, "backend",
                executor.name());
        if (keyId != null) {
            // one series per key id of the key file, which the operator writes: the label's values are bounded by it
            Counters.add("sandpod.key.runs", "Finished runs by API key id and status", 1, "key", keyId, "status", status);
            Counters.add("sandpod.key.cpu.milliseconds", "CPU time of finished runs by API key id", result.cpuMs(),
                    "key", keyId);
        }
        return result;
    }

    /** The backend's name, as results report it. */
    String backend() {
        return executor.name();
    }
}
