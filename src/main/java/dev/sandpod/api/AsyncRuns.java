package dev.sandpod.api;

import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongSupplier;

import io.helidon.config.Config;

import dev.sandpod.callback.Callbacks;
import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.Kept;
import dev.sandpod.run.KeptRun;
import dev.sandpod.run.KeptRuns;
import dev.sandpod.run.OutputChunk;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

/**
 * The asynchronous runs of this replica, held in its memory: each runs on a virtual thread of its own through the
 * {@link RunGate}, and its state stays readable until {@code ttl} after it ended. A restart loses them, but for a
 * backend that keeps them ({@link KeptRuns}: the Kubernetes one, in their pods): a run this replica does not hold is
 * asked of it, so that any replica answers for a run that reached its sandbox, and a restart loses none of those.
 *
 * <p>A run belongs to the key that submitted it: to any other key it does not exist. Its end, whichever comes first
 * (its result, a cancel, a refusal), is what GET answers and what its callback receives.
 */
final class AsyncRuns {
    private static final System.Logger LOG = System.getLogger(AsyncRuns.class.getName());
    private static final String CANCELLED = "cancelled";
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration FOLLOW_AT_MOST = Duration.ofMinutes(5);

    private final RunGate gate;
    private final Callbacks callbacks;
    private final int maxRuns;
    private final Duration ttl;
    private final LongSupplier nanoClock;
    private final KeptRuns kept;
    private final ConcurrentMap<RunId, AsyncRun> runs = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param nanoClock {@link System#nanoTime}, or a test's clock that makes the TTL pass without waiting
     * @param kept      the runs the backend keeps, asked for those this replica does not hold
     */
    AsyncRuns(RunGate gate, Callbacks callbacks, int maxRuns, Duration ttl, LongSupplier nanoClock, KeptRuns kept) {
        if (maxRuns < 1) {
            throw new IllegalArgumentException("max-runs < 1: " + maxRuns);
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl-seconds < 1: " + ttl.toSeconds());
        }
        this.gate = gate;
        this.callbacks = callbacks;
        this.maxRuns = maxRuns;
        this.ttl = ttl;
        this.nanoClock = nanoClock;
        this.kept = kept;
    }

    static AsyncRuns from(Config async, RunGate gate, Callbacks callbacks, KeptRuns kept) {
        return new AsyncRuns(gate, callbacks, async.get("max-runs").asInt().orElse(1000),
                Duration.ofSeconds(async.get("ttl-seconds").asLong().orElse(3600L)), System::nanoTime, kept);
    }

    /**
     * Queues {@code request} for {@code keyId} (null when the service takes no keys) and answers its id at once; its
     * end goes to {@code callback}, already checked, unless that is null.
     */
    synchronized RunId submit(String keyId, RunRequest request, URI callback) {
        long now = nanoClock.getAsLong();
        runs.values().removeIf(run -> run.expired(now, ttl));
        if (runs.size() >= maxRuns) {
            throw ApiException.saturated("this replica holds " + maxRuns + " asynchronous runs, its most;"
                    + " ended ones are forgotten " + ttl.toSeconds() + " s after they end", untilOneExpires(now));
        }
        RunId id = RunId.random();
        AsyncRun run = new AsyncRun(keyId, request.withKept(new Kept(keyId, ttl)), callback, pending(id, "queued"),
                nanoClock);
        runs.put(id, run);
        run.start(threads.submit(() -> execute(id, run)));
        return id;
    }

    /** The run's state as GET answers it: queued, running, or the result as the blocking call gives it. */
    Map<String, Object> state(RunId id, String keyId) throws InterruptedException {
        AsyncRun run = held(id, keyId);
        return run != null ? run.state() : state(id, kept.find(id, keyId).orElseThrow(() -> notFound(id)));
    }

    /**
     * What the run has streamed so far and will stream: its state changes, its output, its end. Of a run that another
     * replica holds, only its pod is to be seen here: its end, its stdout and stderr whole, once it has one.
     */
    RunEvents events(RunId id, String keyId) throws InterruptedException {
        AsyncRun run = held(id, keyId);
        if (run != null) {
            return run.events();
        }
        KeptRun elsewhere = kept.find(id, keyId).orElseThrow(() -> notFound(id));
        RunEvents events = new RunEvents();
        if (elsewhere.result() != null) {
            endFromPod(events, elsewhere);
        } else {
            events.status(pending(id, "running"));
            threads.submit(() -> followElsewhere(id, keyId, events));
        }
        return events;
    }

    /**
     * Asks the backend for the run's end every {@link #POLL} until it has one: the run's own deadline bounds the wait,
     * and {@link #FOLLOW_AT_MOST} bounds it whatever the cluster does.
     */
    private void followElsewhere(RunId id, String keyId, RunEvents events) {
        long until = nanoClock.getAsLong() + FOLLOW_AT_MOST.toNanos();
        try {
            while (nanoClock.getAsLong() < until) {
                Thread.sleep(POLL);
                Optional<KeptRun> now = kept.find(id, keyId);
                if (now.isEmpty()) {
                    events.end(Json.result(RunResult.killed(id, gate.backend(), "its pod is gone", 0)));
                    return;
                }
                if (now.get().result() != null) {
                    endFromPod(events, now.get());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (BackendUnavailableException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot follow run " + id + " held by another replica", e);
        }
        events.end(Json.result(RunResult.internalError(id, gate.backend(), "its end could not be read", 0)));
    }

    private static void endFromPod(RunEvents events, KeptRun run) {
        RunResult result = run.result();
        if (!result.stdout().isEmpty()) {
            events.accept(new OutputChunk(OutputChunk.STDOUT, result.stdout()));
        }
        if (!result.stderr().isEmpty()) {
            events.accept(new OutputChunk(OutputChunk.STDERR, result.stderr()));
        }
        events.end(Json.result(result, run.runtime()));
    }

    /** Ends the run as killed, "cancelled", killing its sandbox; a run that already ended keeps its result. */
    Map<String, Object> cancel(RunId id, String keyId) throws InterruptedException {
        AsyncRun run = held(id, keyId);
        if (run == null) {
            return state(id, kept.cancel(id, keyId).orElseThrow(() -> notFound(id)));
        }
        end(run, killed(id, run, CANCELLED));
        run.interrupt();
        return run.state();
    }

    /** The run if this replica holds it for {@code keyId}, or null. */
    private AsyncRun held(RunId id, String keyId) {
        AsyncRun run = runs.get(id);
        return run == null || !Objects.equals(run.keyId(), keyId) || run.expired(nanoClock.getAsLong(), ttl) ? null : run;
    }

    private ApiException notFound(RunId id) {
        return ApiException.notFound("no run " + id + " here: it never was, it belongs to another key, it ended more"
                + " than " + ttl.toSeconds() + " s ago, or the replica holding it restarted while its backend kept it in memory"
                + " only (the local backend, or Kubernetes before its pod existed)");
    }

    /** A run the backend keeps, as GET answers it. */
    private static Map<String, Object> state(RunId id, KeptRun run) {
        return run.result() == null ? pending(id, "running") : Json.result(run.result(), run.runtime());
    }

    private void execute(RunId id, AsyncRun run) {
        try {
            RunResult result = gate.run(run.keyId(), run.request(), id, () -> run.advance(pending(id, "running")),
                    run.events());
            end(run, Json.result(result, run.request()));
        } catch (InterruptedException e) {
            // cancelled: cancel() has already ended it
            Thread.currentThread().interrupt();
        } catch (ApiException e) {
            notRun(id, run, e.problem().detail());
        } catch (BackendUnavailableException e) {
            notRun(id, run, e.getMessage());
        } catch (Exception e) {
            LOG.log(System.Logger.Level.ERROR, "asynchronous run " + id + " failed", e);
            end(run, Json.result(RunResult.internalError(id, gate.backend(), "the run failed", run.elapsedMs()),
                    run.request()));
        }
    }

    /** Ends the run, and posts its end to its callback if this was the end that counted. */
    private void end(AsyncRun run, Map<String, Object> result) {
        if (run.end(result) && run.callback() != null) {
            callbacks.deliver(run.callback(), Json.write(run.state()));
        }
    }

    /** A refusal at admission (a quota, a full replica, a drain) ends the run unrun, saying why. */
    private void notRun(RunId id, AsyncRun run, String why) {
        end(run, killed(id, run, "not run: " + why));
    }

    /** The end of a run that the service stopped or never started: killed, no status of its own. */
    private Map<String, Object> killed(RunId id, AsyncRun run, String detail) {
        return Json.result(RunResult.killed(id, gate.backend(), detail, run.elapsedMs()), run.request());
    }

    private Duration untilOneExpires(long now) {
        return runs.values().stream().mapToLong(run -> run.nanosUntilExpiry(now, ttl)).filter(nanos -> nanos > 0).min()
                .stream().mapToObj(Duration::ofNanos).findFirst().orElse(Duration.ofSeconds(1));
    }

    /** The state of a run that has not ended: its id and queued or running. */
    static Map<String, Object> pending(RunId id, String status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id.value());
        body.put("status", status);
        return body;
    }

    /** One run's mutable state; its state map is replaced whole, never changed, so readers need no lock. */
    private static final class AsyncRun {
        private final String keyId;
        private final RunRequest request;
        private final URI callback;
        private final LongSupplier nanoClock;
        private final long submitted;
        private final RunEvents events = new RunEvents();
        private volatile Map<String, Object> state;
        private volatile long endedAt;
        private volatile boolean ended;
        private Future<?> future;

        AsyncRun(String keyId, RunRequest request, URI callback, Map<String, Object> state, LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
            this.submitted = nanoClock.getAsLong();
            this.keyId = keyId;
            this.request = request;
            this.callback = callback;
            this.state = frozen(state);
            events.status(this.state);
        }

        String keyId() {
            return keyId;
        }

        RunRequest request() {
            return request;
        }

        URI callback() {
            return callback;
        }

        Map<String, Object> state() {
            return state;
        }

        RunEvents events() {
            return events;
        }

        synchronized void start(Future<?> started) {
            future = started;
        }

        synchronized void interrupt() {
            future.cancel(true);
        }

        /** Queued to running; never after it ended (a cancel may beat the admission). */
        synchronized void advance(Map<String, Object> running) {
            if (!ended) {
                state = frozen(running);
                events.status(state);
            }
        }

        /** The first end wins: a cancel's over the interrupted run's own, a result over a late cancel; true if this. */
        synchronized boolean end(Map<String, Object> result) {
            if (ended) {
                return false;
            }
            state = frozen(result);
            endedAt = nanoClock.getAsLong();
            ended = true;
            events.end(state);
            return true;
        }

        long elapsedMs() {
            return Duration.ofNanos(nanoClock.getAsLong() - submitted).toMillis();
        }

        boolean expired(long now, Duration ttl) {
            return ended && now - endedAt >= ttl.toNanos();
        }

        long nanosUntilExpiry(long now, Duration ttl) {
            return ended ? ttl.toNanos() - (now - endedAt) : 0;
        }

        /** A read-only copy in the field order of the API document, nulls kept (exitCode). */
        private static Map<String, Object> frozen(Map<String, Object> state) {
            return Collections.unmodifiableMap(new LinkedHashMap<>(state));
        }
    }
}
