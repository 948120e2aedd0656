package dev.sandpod.api;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.helidon.config.Config;

/**
 * Decides whether a run may start now: a bounded number of runs in sandboxes with a bounded, time-limited, first-come
 * first-served queue in front of them (503), which protects the replica from unbounded waiting threads. The limits of
 * each client come before it: {@link CallerGate} and {@link KeyQuotas}.
 *
 * <p>Under overload a refusal must be fast, so a run is refused at once, not after its queue timeout, when the queue is
 * full or when the wait its place in the queue implies (its position times the recent average time a run holds a slot,
 * over the number of slots) is longer than the queue timeout: such a run would only hold a thread and a connection to
 * be refused later.
 */
final class Admission {
    private final Semaphore slots;
    private final int maxConcurrent;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final AtomicInteger waiting = new AtomicInteger();
    /** Recent mean time a run holds a slot, in nanoseconds; 0 until the first run has finished. */
    private final AtomicLong meanHoldNanos = new AtomicLong();

    Admission(int maxConcurrent, int maxQueued, Duration queueTimeout) {
        if (maxConcurrent < 1 || maxQueued < 0 || queueTimeout.isNegative()) {
            throw new IllegalArgumentException("admission needs max-concurrent >= 1 and a non-negative queue: "
                    + maxConcurrent + ", " + maxQueued + ", " + queueTimeout);
        }
        this.maxConcurrent = maxConcurrent;
        this.slots = new Semaphore(maxConcurrent, true);
        this.maxQueued = maxQueued;
        this.queueTimeout = queueTimeout;
    }

    static Admission from(Config admission) {
        return new Admission(admission.get("max-concurrent").asInt().get(),
                admission.get("max-queued").asInt().get(),
                Duration.ofMillis(admission.get("queue-timeout-ms").asLong().get()));
    }

    <T> T admit(Callable<T> work) throws Exception {
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
}
