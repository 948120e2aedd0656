package dev.sandpod.runner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import dev.sandpod.run.TestOutcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /**
     * Defines {@code leave_a_daemon(pid_file)}: it double-forks a process into its own session, which writes its pid to
     * {@code pid_file} and sleeps a minute, and returns once the file is there.
     */
    static final String LEAVE_A_DAEMON = """
            import os, time

            def leave_a_daemon(pid_file):
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        with open(pid_file + '.tmp', 'w') as f:
                            f.write(str(os.getpid()))
                        os.rename(pid_file + '.tmp', pid_file)
                        time.sleep(60)
                    os._exit(0)
                while not os.path.exists(pid_file):
                    time.sleep(0.01)

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

    /** Runs {@code job} and checks that it ends ok with {@code stdout} on stdout, showing the whole result if not. */
    void assertPrints(String stdout, TestJob job) throws IOException, InterruptedException {
        RunResult result = run(job);
        assertEquals(stdout, result.stdout(), result::toString);
        assertEquals(Status.OK, result.status(), result::toString);
    }

    /** Checks how the program ended: its status, the signal that ended it and the detail, showing the whole result if not. */
    static void assertEnded(RunResult result, Status status, String signal, String detail) {
        assertEquals(status, result.status(), result::toString);
        assertEquals(signal, result.signal(), result::toString);
        assertEquals(detail, result.detail(), result::toString);
    }

    /** The result without what varies from run to run: times, CPU and memory. */
    static RunResult withoutTimings(RunResult r) {
        List<TestOutcome> tests = r.tests().stream()
                .map(t -> new TestOutcome(t.index(), t.verdict(), t.status(), t.stdout(), t.stderr(), 0))
                .toList();
        return new RunResult(r.id(), r.status(), r.exitCode(), r.signal(), r.stdout(), r.stderr(), r.output(),
                r.truncated(), 0, 0, 0, r.backend(), r.detail(), tests, r.verdict(), r.files(),
                r.filesTruncated());
    }
}
