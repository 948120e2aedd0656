package dev.sandpod.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import io.helidon.config.Config;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;

/**
 * Decides whether a run may start now: a per-client rate limit (429), then a bounded number of runs in sandboxes with
 * a bounded, time-limited, first-come first-served queue in front of them (503). Both protect the backend from a single
 * noisy client and the replica from unbounded waiting threads.
 *
 * <p>Under overload a refusal must be fast, so a run is refused at once, not after its queue timeout, when the queue is
 * full or when the wait its place in the queue implies (its position times the recent average time a run holds a slot,
 * over the number of slots) is longer than the queue timeout: such a run would only hold a thread and a connection to
 * be refused later.
 */
final class Admission {
    /** Client keys remembered at once; the least recently seen client's bucket is forgotten first. */
    private static final int MAX_TRACKED_CLIENTS = 10_000;

    private final Semaphore slots;
    private final int maxConcurrent;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final AtomicInteger waiting = new AtomicInteger();
    /** Recent mean time a run holds a slot, in nanoseconds; 0 until the first run has finished. */
    private final AtomicLong meanHoldNanos = new AtomicLong();
    private final RateLimiterConfig rateConfig;
    private final Duration retryAfterRateLimit;
    private final ReentrantLock limitersLock = new ReentrantLock();
    private final Map<String, RateLimiter> limiters = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RateLimiter> eldest) {
            return size() > MAX_TRACKED_CLIENTS;
        }
    };

    Admission(int maxConcurrent, int maxQueued, Duration queueTimeout, double ratePerSecond, int burst) {
        if (maxConcurrent < 1 || maxQueued < 0 || queueTimeout.isNegative() || ratePerSecond < 0 || burst < 0) {
            throw new IllegalArgumentException("admission needs max-concurrent >= 1 and non-negative queue and rate"
                    + " settings: " + maxConcurrent + ", " + maxQueued + ", " + queueTimeout + ", " + ratePerSecond
                    + ", " + burst);
        }
        this.maxConcurrent = maxConcurrent;
        this.slots = new Semaphore(maxConcurrent, true);
        this.maxQueued = maxQueued;
        this.queueTimeout = queueTimeout;
        if (ratePerSecond > 0) {
            // resilience4j refills a whole period at once: a period of burst/rate seconds with burst permits
            // gives the configured average rate and lets a client spend its burst at once.
            int permits = Math.max(1, burst);
            Duration period = Duration.ofNanos((long) (permits / ratePerSecond * 1e9));
            this.rateConfig = RateLimiterConfig.custom()
                    .limitForPeriod(permits)
                    .limitRefreshPeriod(period)
                    .timeoutDuration(Duration.ZERO)
                    .build();
            this.retryAfterRateLimit = Duration.ofSeconds(Math.max(1, (period.toMillis() + 999) / 1000));
        } else {
            this.rateConfig = null;
            this.retryAfterRateLimit = null;
        }
    }

    static Admission from(Config admission) {
        return new Admission(admission.get("max-concurrent").asInt().get(),
                admission.get("max-queued").asInt().get(),
                Duration.ofMillis(admission.get("queue-timeout-ms").asLong().get()),
                admission.get("rate-per-second").asDouble().get(),
                admission.get("burst").asInt().get());
    }

    <T> T admit(String clientKey, Callable<T> work) throws Exception {
        if (rateConfig != null && !limiterFor(clientKey).acquirePermission()) {
            throw ApiException.rateLimited(retryAfterRateLimit);
        }
        acquireSlot();
        long held = System.nanoTime();
        try {
            return work.call();
        } finally {
            slots.release();
            recordHold(System.nanoTime() - held);
        }
    }

    int inFlight() {
        return maxConcurrent - slots.availablePermits();
    }

    int queued() {
        return waiting.get();
    }

    /** The wait a run that would be {@code position}th in the queue can expect, from the recent mean hold time. */
    Duration expectedWait(int position) {
        return Duration.ofNanos(meanHoldNanos.get() * position / maxConcurrent);
    }

    private void acquireSlot() throws InterruptedException {
        // tryAcquire() without a timeout would barge ahead of the runs already waiting, even on a fair semaphore
        if (slots.tryAcquire(0, TimeUnit.NANOSECONDS)) {
            return;
        }
        int position = waiting.incrementAndGet();
        boolean acquired;
        try {
            if (position > maxQueued) {
                throw busy("the queue is full");
            }
            Duration expected = expectedWait(position);
            if (expected.compareTo(queueTimeout) > 0) {
                throw busy("the expected wait of " + expected.toMillis() + " ms is past the queue timeout of "
                        + queueTimeout.toMillis() + " ms");
            }
            acquired = slots.tryAcquire(queueTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            waiting.decrementAndGet();
        }
        if (!acquired) {
            throw ApiException.saturated("no sandbox became free within " + queueTimeout.toMillis() + " ms",
                    Duration.ofSeconds(1));
        }
    }

    private ApiException busy(String why) {
        return ApiException.saturated("all " + maxConcurrent + " sandboxes of this replica are busy and " + why,
                Duration.ofSeconds(1));
    }

    /** An exponentially weighted mean over about the last eight runs: recent enough to follow a change of load. */
    private void recordHold(long nanos) {
        meanHoldNanos.getAndUpdate(mean -> mean == 0 ? nanos : mean + (nanos - mean) / 8);
    }

    private RateLimiter limiterFor(String clientKey) {
        limitersLock.lock();
        try {
            return limiters.computeIfAbsent(clientKey, key -> RateLimiter.of("client", rateConfig));
        } finally {
            limitersLock.unlock();
        }
    }
}
