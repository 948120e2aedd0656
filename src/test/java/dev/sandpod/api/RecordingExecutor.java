package dev.sandpod.api;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

import dev.sandpod.run.Executor;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

/**
 * An executor for tests of the HTTP layer alone: it records what the API handed over and answers with the result a
 * test scripted, optionally holding each run until the test opens a gate. Sandbox behaviour is tested elsewhere
 * against the real jail.
 */
final class RecordingExecutor implements Executor {
    final List<RunRequest> received = new CopyOnWriteArrayList<>();
    private volatile Function<RunRequest, RunResult> answer;
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile String unready;

    RecordingExecutor answering(Function<RunRequest, RunResult> answer) {
        this.answer = answer;
        return this;
    }

    void holdRunsUntil(CountDownLatch gate) {
        this.gate = gate;
    }

    void unready(String reason) {
        this.unready = reason;
    }

    @Override
    public RunResult run(RunRequest request, RunId id) throws InterruptedException {
        received.add(request);
        gate.await();
        return answer.apply(request);
    }

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public String unreadyReason() {
        return unready;
    }

    @Override
    public void close() {
    }
}
