package dev.sandpod.local;

import java.util.function.Supplier;

import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * One {@link LocalExecutor} for the test class that registers it: created and found ready before the first test,
 * closed after the last, and after each test the host must hold nothing of any jail.
 */
final class JailedExecutor implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    private final Supplier<LocalExecutor> factory;
    private LocalExecutor executor;

    JailedExecutor(Supplier<LocalExecutor> factory) {
        this.factory = factory;
    }

    /** Runs {@code request} under a fresh run id. */
    RunResult run(RunRequest request) throws InterruptedException {
        return executor.run(request, RunId.random());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        executor = factory.get();
        assertNull(executor.unreadyReason());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Jailed.assertNothingLeft();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        executor.close();
    }
}
