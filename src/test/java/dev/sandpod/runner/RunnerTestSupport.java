package dev.sandpod.runner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.TestOutcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Gives each runner test a fresh {@link RunnerHarness} and checks afterwards that no program process outlived it. */
abstract class RunnerTestSupport {
    /** Writes out0 err0 out1 err1 out2 err2, each only once the runner has read the one before. */
    static final String INTERLEAVED = """
            import array, fcntl, sys, termios, time

            def write_and_wait_until_read(stream, text):
                stream.write(text)
                pending = array.array('i', [0])
                while True:
                    fcntl.ioctl(stream.fileno(), termios.FIONREAD, pending)
                    if pending[0] == 0:
                        return
                    time.sleep(0.001)

            for i in range(3):
                write_and_wait_until_read(sys.stdout, f'out{i} ')
                write_and_wait_until_read(sys.stderr, f'err{i} ')
            """;

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

    /** The result without what varies from run to run: times, CPU and memory. */
    static RunResult withoutTimings(RunResult r) {
        List<TestOutcome> tests = r.tests().stream()
                .map(t -> new TestOutcome(t.index(), t.verdict(), t.status(), t.stdout(), t.stderr(), 0))
                .toList();
        return new RunResult(r.id(), r.status(), r.exitCode(), r.signal(), r.stdout(), r.stderr(), r.output(),
                r.truncated(), 0, 0, 0, r.backend(), r.detail(), tests, r.verdict());
    }
}
