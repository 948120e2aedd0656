package dev.sandpod.runner;

import java.io.IOException;
import java.nio.file.Path;

import dev.sandpod.run.RunResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Gives each runner test a fresh {@link RunnerHarness} and checks afterwards that no program process outlived it. */
abstract class RunnerTestSupport {
    @TempDir
    Path tempDir;
    RunnerHarness harness;

    @BeforeEach
    void prepareHarness() throws IOException {
        harness = new RunnerHarness(tempDir);
    }

    @AfterEach
    void nothingLeftRunning() throws IOException, InterruptedException {
        RunnerHarness.assertNothingLeftRunning();
    }

    RunResult run(TestJob job) throws IOException, InterruptedException {
        return harness.run(job).result();
    }
}
