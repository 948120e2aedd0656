package dev.sandpod.api;

import io.helidon.config.Config;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

import dev.sandpod.run.Executor;

/** Health at {@code /health/live|ready|started} and Prometheus metrics at {@code /metrics}. */
public final class Observability {
    private Observability() {
    }

    public static ObserveFeature feature(Config observe, Executor executor) {
        return ObserveFeature.builder()
                .config(observe)
                .addObserver(HealthObserver.builder()
                        .config(observe.get("observers.health"))
                        .details(true)
                        .addCheck(() -> backendReadiness(executor), HealthCheckType.READINESS, "backend")
                        .build())
                .addObserver(MetricsObserver.create(observe.get("observers.metrics")))
                .build();
    }

    private static HealthCheckResponse backendReadiness(Executor executor) {
        String reason = executor.unreadyReason();
        return HealthCheckResponse.builder()
                .status(reason == null)
                .detail("backend", executor.name())
                .detail("reason", reason == null ? "ready" : reason)
                .build();
    }
}
