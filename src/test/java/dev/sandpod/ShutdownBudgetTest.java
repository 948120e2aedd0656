package dev.sandpod;

import java.time.Duration;
import java.util.Map;

import io.helidon.config.Config;

import dev.sandpod.config.AppConfig;
import dev.sandpod.config.InvalidConfigException;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shutdown's budget as the service reads it: the shipped drain lets every run end by its own deadline. */
class ShutdownBudgetTest {
    @Test
    @DisplayName("the shipped drain outlasts the longest run the shipped limits allow, on either backend")
    void shippedDrainOutlastsTheLongestRun() {
        Config config = AppConfig.load(Map.of());
        Shutdown.Budget budget = Shutdown.Budget.from(config);
        long maxTimeoutMs = config.get("sandpod.limits.max-timeout-ms").asLong().get();
        long maxTests = config.get("sandpod.limits.max-tests").asLong().get();
        // LocalExecutor kills a jail at its time limit once per program (the run and each test) plus the margin
        long local = maxTimeoutMs * (1 + maxTests) + config.get("sandpod.local.deadline-margin-ms").asLong().get();
        // KubernetesExecutor waits for the pod to start, then for its activeDeadlineSeconds plus the margin
        long kubernetes = config.get("sandpod.kubernetes.startup-timeout-ms").asLong().get()
                + ((maxTimeoutMs * maxTests + 999) / 1000 + 1) * 1000
                + config.get("sandpod.kubernetes.completion-margin-ms").asLong().get();
        assertTrue(budget.drain().toMillis() >= local, budget + " < local " + local);
        assertTrue(budget.drain().toMillis() >= kubernetes, budget + " < kubernetes " + kubernetes);
        assertEquals(budget.drain().plus(budget.teardown()), budget.total());
    }

    @Test
    @DisplayName("a teardown that leaves the server no room for its own grace period stops the start")
    void teardownMustOutlastTheServersGrace() {
        InvalidConfigException refused = assertThrows(InvalidConfigException.class, () -> Shutdown.Budget.from(
                AppConfig.load(Map.of("SANDPOD_SHUTDOWN_TEARDOWN_TIMEOUT_MS", "10000"))));
        assertTrue(refused.getMessage().contains("server.shutdown-grace-period"), refused.getMessage());
        assertEquals(Duration.ofSeconds(3), Shutdown.Budget.from(AppConfig.load(Map.of(
                "SERVER_SHUTDOWN_GRACE_PERIOD", "PT2S", "SANDPOD_SHUTDOWN_TEARDOWN_TIMEOUT_MS", "3000"))).teardown());
    }

    @Test
    void negativeDrainStopsTheStart() {
        assertThrows(InvalidConfigException.class, () -> Shutdown.Budget.from(
                AppConfig.load(Map.of("SANDPOD_SHUTDOWN_DRAIN_TIMEOUT_MS", "-1"))));
    }
}
