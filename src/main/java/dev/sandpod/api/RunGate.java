package dev.sandpod.api;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Timer;
import io.helidon.webserver.http.ServerRequest;

import dev.sandpod.run.Executor;
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
        long start = System.nanoTime();
        String keyId = req.context().get(Caller.class).map(Caller::keyId).orElse(null);
        RunResult result = keyQuotas.admit(keyId, () -> drain.take(() -> admission.admit(() -> {
            drain.refuseIfDraining();
            return executor.run(request, RunId.random());
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
        AccessLog.noteRunStatus(req, result.status());
        return result;
    }
}
