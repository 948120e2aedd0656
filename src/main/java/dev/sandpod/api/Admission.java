package dev.sandpod.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import io.helidon.config.Config;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;

/**
 * Decides whether a run may start now: a per-client rate limit (429), then a bounded number of runs in sandboxes with
 * a bounded, time-limited queue in front of them (503). Both protect the backend from a single noisy client and the
 * replica from unbounded waiting threads.
 */
final class Admission {
    /** Client keys remembered at once; the least recently seen client's bucket is forgotten first. */
    private static final int MAX_TRACKED_CLIENTS = 10_000;

    private final Semaphore slots;
    private final int maxConcurrent;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final AtomicInteger waiting = new AtomicInteger();
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
        try {
            return work.call();
        } finally {
            slots.release();
        }
    }

    int inFlight() {
        return maxConcurrent - slots.availablePermits();
    }

    int queued() {
        return waiting.get();
    }

    private void acquireSlot() throws InterruptedException {
        if (slots.tryAcquire()) {
            return;
        }
        if (waiting.incrementAndGet() > maxQueued) {
            waiting.decrementAndGet();
            throw ApiException.saturated("all " + maxConcurrent + " sandboxes of this replica are busy and the queue"
                    + " is full", Duration.ofSeconds(1));
        }
        boolean acquired;
        try {
            acquired = slots.tryAcquire(queueTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            waiting.decrementAndGet();
        }
        if (!acquired) {
            throw ApiException.saturated("no sandbox became free within " + queueTimeout.toMillis() + " ms",
                    Duration.ofSeconds(1));
        }
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
