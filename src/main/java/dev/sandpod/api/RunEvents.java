package dev.sandpod.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.sandpod.run.OutputChunk;
import dev.sandpod.run.OutputSink;

/**
 * What one run has told its streams so far, in order: its state changes, its output chunks, then one {@code result}
 * event, after which nothing is added. Any number of readers follow it from any point, so a client that reconnects
 * with {@code Last-Event-ID} misses nothing and sees nothing twice.
 *
 * <p>Its size is bounded by the run: the runner caps each stream's text, and a run has at most a few state changes.
 * Writers are executors' I/O threads, which must not block: appending takes a short lock and never waits on a reader.
 * Readers are request threads, virtual ones, so the lock is one that a waiting virtual thread lets go of its carrier
 * for on every JDK the service runs on.
 */
final class RunEvents implements OutputSink {
    static final String STATUS = "status";
    static final String RESULT = "result";

    /** One event; {@code id} is its place in the run's sequence, from 1, as SSE's id field carries it. */
    record Event(long id, String name, byte[] data) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition added = lock.newCondition();
    private final List<Event> events = new ArrayList<>();
    private boolean ended;

    /** The run's state changed (queued, running): {@code state} is what GET answers then. */
    void status(Map<String, Object> state) {
        add(STATUS, Json.write(state), false);
    }

    @Override
    public void accept(OutputChunk chunk) {
        add(chunk.stream(), Json.write(Map.of("text", chunk.text())), false);
    }

    /** The run ended with {@code result}; the first end wins, and nothing is added after it. */
    void end(Map<String, Object> result) {
        add(RESULT, Json.write(result), true);
    }

    /**
     * The events after {@code lastId}; when there are none yet and the run goes on, waits up to {@code wait} for the next
     * ones. Empty once the run has ended and every event was read, or when the wait passed without any.
     */
    boolean ended() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    List<Event> after(long lastId, Duration wait) throws InterruptedException {
        long left = wait.toNanos();
        lock.lock();
        try {
            while (events.size() <= lastId && !ended) {
                if (left <= 0) {
                    return List.of();
                }
                left = added.awaitNanos(left);
            }
            int from = (int) Math.max(0, Math.min(lastId, events.size()));
            return List.copyOf(events.subList(from, events.size()));
        } finally {
            lock.unlock();
        }
    }

    private void add(String name, byte[] data, boolean last) {
        lock.lock();
        try {
            if (!ended) {
                events.add(new Event(events.size() + 1, name, data));
                ended = last;
                added.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }
}
