package dev.sandpod.e2e;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import dev.sandpod.run.Executor;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

/** Hands every run to a real executor and counts what came back by status: which requests the API let through. */
final class CountingExecutor implements Executor {
    private final Executor real;
    private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();

    CountingExecutor(Executor real) {
        this.real = real;
    }

    @Override
    public RunResult run(RunRequest request, RunId id) throws InterruptedException {
        RunResult result = real.run(request, id);
        statuses.computeIfAbsent(result.status().wireName(), status -> new LongAdder()).increment();
        return result;
    }

    Map<String, Long> statuses() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        statuses.forEach((status, count) -> counts.put(status, count.sum()));
        return counts;
    }

    long runs() {
        return statuses.values().stream().mapToLong(LongAdder::sum).sum();
    }

    @Override
    public String name() {
        return real.name();
    }

    @Override
    public String unreadyReason() {
        return real.unreadyReason();
    }

    @Override
    public void close() {
        real.close();
    }
}
