package dev.sandpod.api;

import io.helidon.config.Config;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import dev.sandpod.run.Executor;

/**
 * Health at {@code /health/live|ready|started} and Prometheus metrics at {@code /metrics}. Ready means the replica
 * takes runs: the backend can create sandboxes and the replica is not draining.
 */
public final class Observability {
    private Observability() {
    }

    public static ObserveFeature feature(Config observe, Executor executor, Drain drain) {
        return ObserveFeature.builder()
                .config(observe)
                .addObserver(HealthObserver.builder()
                        .config(observe.get("observers.health"))
                        .details(true)
                        .addCheck(() -> readiness(executor, drain), HealthCheckType.READINESS, "backend")
                        .build())
                .addObserver(MetricsObserver.create(observe.get("observers.metrics")))
                .build();
    }

    /**
     * A draining replica answers DOWN without asking the backend, which is being torn down and must not be what decides
     * whether Kubernetes still sends this replica requests.
     */
    private static HealthCheckResponse readiness(Executor executor, Drain drain) {
        String reason = drain.draining() ? "the replica is shutting down" : executor.unreadyReason();
        return HealthCheckResponse.builder()
                .status(reason == null)
                .detail("backend", executor.name())
                .detail("reason", reason == null ? "ready" : reason)
                .build();
    }
}
