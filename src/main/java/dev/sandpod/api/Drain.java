package dev.sandpod.api;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether this replica still takes runs. Once {@link #begin} is called (the service got SIGTERM), readiness answers
 * DOWN and every new run is refused with 503 and Retry-After, so that clients retry on another replica, while the runs
 * already taken go on; {@link #awaitIdle} tells when they have all answered.
 *
 * <p>It counts runs from the moment they enter the API, queued ones included, so that a run cannot slip between the
 * check and the count and start after the service decided that none was left.
 */
public final class Drain {
    /** Another replica takes a retried run at once; the one draining never will. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean draining;
    private boolean hurried;
    private int active;

    /** Stops taking runs; false when the drain had already begun. */
    public boolean begin() {
        lock.lock();
        try {
            boolean first = !draining;
            draining = true;
            changed.signalAll();
            return first;
        } finally {
            lock.unlock();
        }
    }

    public boolean draining() {
        lock.lock();
        try {
            return draining;
        } finally {
            lock.unlock();
        }
    }

    /** Runs taken and not yet answered. */
    public int active() {
        lock.lock();
        try {
            return active;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every run taken has answered, the timeout passed, or {@link #hurry} was called.
     *
     * @return true when no run is left
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (active > 0 && !hurried && left > 0) {
                left = changed.awaitNanos(left);
            }
            return active == 0;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the current and every later {@link #awaitIdle} at once: the operator asked a second time. */
    public void hurry() {
        lock.lock();
        try {
            hurried = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code run} as a taken run, or refuses it with 503 when the drain has begun. */
    <T> T take(Callable<T> run) throws Exception {
        lock.lock();
        try {
            if (draining) {
                throw refusal();
            }
            active++;
        } finally {
            lock.unlock();
        }
        try {
            return run.call();
        } finally {
            lock.lock();
            try {
                active--;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Refuses a run that waited in the queue while the drain began: nothing of it has started, so a retry on another
     * replica loses nothing, and the drain waits for its refusal instead of a whole run.
     */
    void refuseIfDraining() {
        if (draining()) {
            throw refusal();
        }
    }

    private static ApiException refusal() {
        return ApiException.saturated("this replica is shutting down; retry and another replica takes the run",
                RETRY_AFTER);
    }
}
