package dev.sandpod.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyQuotasTest {
    @Test
    @DisplayName("a key has at most its cap of runs in flight; past it 429 at once, other keys and no key unaffected")
    void concurrencyIsCappedPerKey() throws Exception {
        KeyQuotas quotas = new KeyQuotas(2, 0, Clock.systemUTC());
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(2);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<RunResult>> held = List.of(
                    threads.submit(() -> quotas.admit("alice", () -> hold(started, release))),
                    threads.submit(() -> quotas.admit("alice", () -> hold(started, release))));
            started.await();
            ApiException refused = assertThrows(ApiException.class, () -> quotas.admit("alice", () -> used(0)));
            assertEquals(429, refused.problem().status());
            assertEquals(Duration.ofSeconds(1), refused.retryAfter().orElseThrow());
            assertTrue(refused.problem().detail().contains("2 runs in flight"), refused.problem().detail());
            assertEquals(Status.OK, quotas.admit("bob", () -> used(0)).status());
            assertEquals(Status.OK, quotas.admit(null, () -> used(0)).status());
            release.countDown();
            for (Future<RunResult> run : held) {
                assertEquals(Status.OK, run.get().status());
            }
        }
        assertEquals(Status.OK, quotas.admit("alice", () -> used(0)).status(), "a finished run frees its place");
    }

    @Test
    @DisplayName("a key that has used its CPU-seconds of the UTC day is refused until midnight, then runs again")
    void dailyCpuQuota() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-04T23:00:00Z"));
        KeyQuotas quotas = new KeyQuotas(0, 2, clock);
        quotas.admit("alice", () -> used(1500));
        quotas.admit("alice", () -> used(600));
        ApiException refused = assertThrows(ApiException.class, () -> quotas.admit("alice", () -> used(0)));
        assertEquals(429, refused.problem().status());
        assertEquals(Duration.ofHours(1), refused.retryAfter().orElseThrow());
        assertTrue(refused.problem().detail().contains("2 CPU-seconds"), refused.problem().detail());
        assertEquals(Status.OK, quotas.admit("bob", () -> used(0)).status());
        clock.now = Instant.parse("2026-12-05T00:00:01Z");
        assertEquals(Status.OK, quotas.admit("alice", () -> used(1900)).status());
        assertEquals(Status.OK, quotas.admit("alice", () -> used(0)).status(), "1.9 s of 2 s used today");
    }

    @Test
    @DisplayName("a run that fails still frees its place, and is not charged")
    void failedRunFreesItsPlace() throws Exception {
        KeyQuotas quotas = new KeyQuotas(1, 1, Clock.systemUTC());
        IllegalStateException failure = new IllegalStateException("backend down");
        assertSame(failure, assertThrows(IllegalStateException.class, () -> quotas.admit("alice", () -> {
            throw failure;
        })));
        assertEquals(Status.OK, quotas.admit("alice", () -> used(0)).status());
    }

    private static RunResult hold(CountDownLatch started, CountDownLatch release) throws InterruptedException {
        started.countDown();
        release.await();
        return used(0);
    }

    private static RunResult used(long cpuMs) {
        return new RunResult("run-0000000000000000", Status.OK, 0, null, "", "", "", false, cpuMs, cpuMs, 1000,
                "test", null, List.of(), null, List.of(), false);
    }

    private static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("UTC only");
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
