package dev.sandpod.api;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.webserver.http.ServerRequest;

import dev.sandpod.run.Executor;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

/** Runs an admitted request on the executor and counts the outcome; the one place the API touches the backend. */
final class RunGate {
    private final Executor executor;
    private final Admission admission;
    private final KeyQuotas keyQuotas;
    private final Drain drain;
    private final Timer duration;
    /**
     * The per-key counters, by key id and status: a registry lookup by name and tags costs a request more than the
     * key check and both rate limits together.
     */
    private final ConcurrentMap<String, Counter> keyRuns = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Counter> keyCpu = new ConcurrentHashMap<>();

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
        RunResult result = run(Caller.keyId(req), request, RunId.random(), () -> { });
        AccessLog.noteRunStatus(req, result.status());
        return result;
    }

    /**
     * Runs {@code request} as {@code id} for {@code keyId} (null without keys), through the same quotas and admission
     * as a request's own run; {@code onStart} runs once it holds a sandbox slot.
     */
    RunResult run(String keyId, RunRequest request, RunId id, Runnable onStart) throws Exception {
        long start = System.nanoTime();
        RunResult result = keyQuotas.admit(keyId, () -> drain.take(() -> admission.admit(() -> {
            drain.refuseIfDraining();
            onStart.run();
            return executor.run(request, id);
        })));
        duration.record(java.time.Duration.ofNanos(System.nanoTime() - start));
        counter(result.status()).increment();
        if (keyId != null) {
            keyCounters(keyId, result);
        }
        return result;
    }

    /** The backend's name, as results report it. */
    String backend() {
        return executor.name();
    }

    private Counter counter(Status status) {
        return Metrics.getOrCreate(Counter.builder("sandpod.runs")
                .description("Finished runs by status and backend")
                .tags(List.of(Tag.create("status", status.wireName()), Tag.create("backend", executor.name()))));
    }

    /** One series per key id of the key file, which the operator writes: the label's values are bounded by it. */
    private void keyCounters(String keyId, RunResult result) {
        String status = result.status().wireName();
        keyRuns.computeIfAbsent(keyId + " " + status, any -> Metrics.getOrCreate(Counter.builder("sandpod.key.runs")
                .description("Finished runs by API key id and status")
                .tags(List.of(Tag.create("key", keyId), Tag.create("status", status))))).increment();
        keyCpu.computeIfAbsent(keyId, any -> Metrics.getOrCreate(Counter.builder("sandpod.key.cpu.milliseconds")
                .description("CPU time of finished runs by API key id")
                .tags(List.of(Tag.create("key", keyId))))).increment(result.cpuMs());
    }
}
