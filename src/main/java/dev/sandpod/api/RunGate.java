package dev.sandpod.api;

import java.util.Optional;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.metrics.api.Counter;
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
    private final Drain drain;
    private final Optional<HeaderName> clientKeyHeader;
    private final Timer duration;

    RunGate(Executor executor, Admission admission, Drain drain, Optional<String> clientKeyHeader) {
        this.executor = executor;
        this.admission = admission;
        this.drain = drain;
        this.clientKeyHeader = clientKeyHeader.filter(name -> !name.isBlank()).map(HeaderNames::create);
        this.duration = Metrics.getOrCreate(Timer.builder("sandpod.run.duration")
                .description("Wall time of runs from admission to result"));
        Metrics.getOrCreate(io.helidon.metrics.api.Gauge.builder("sandpod.runs.in.flight", admission::inFlight)
                .description("Runs holding a sandbox slot"));
        Metrics.getOrCreate(io.helidon.metrics.api.Gauge.builder("sandpod.runs.queued", admission::queued)
                .description("Runs waiting for a sandbox slot"));
    }

    RunResult run(ServerRequest req, RunRequest request) throws Exception {
        long start = System.nanoTime();
        RunResult result = drain.take(() -> admission.admit(clientKey(req), () -> {
            drain.refuseIfDraining();
            return executor.run(request, RunId.random());
        }));
        duration.record(java.time.Duration.ofNanos(System.nanoTime() - start));
        counter(result.status()).increment();
        return result;
    }

    private String clientKey(ServerRequest req) {
        return clientKeyHeader.flatMap(name -> req.headers().first(name))
                .orElseGet(() -> req.remotePeer().host());
    }

    private Counter counter(Status status) {
        return Metrics.getOrCreate(Counter.builder("sandpod.runs")
                .description("Finished runs by status and backend")
                .tags(java.util.List.of(Tag.create("status", status.wireName()),
                        Tag.create("backend", executor.name()))));
    }
}
