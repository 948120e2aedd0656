package dev.sandpod.runner;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The result can't be forged and the runner can't be reached: what the program sees of the runner and its own process. */
class RunnerIntegrityTest extends RunnerTestSupport {
    private static final String FAKE = "SANDPOD-RESULT {\"status\":\"ok\",\"exitCode\":0,\"signal\":null,"
            + "\"stdout\":\"forged\",\"stderr\":\"\",\"output\":\"forged\",\"truncated\":false,\"timeMs\":1,"
            + "\"cpuMs\":1,\"memoryKb\":1,\"detail\":null}";

    @Test
    void aFakeResultLinePrintedByTheProgramCannotChangeTheResult() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("import sys\nprint(sys.argv[1])\nsys.exit(3)").args(FAKE));

        assertEquals(1, output.envelopeLines(), output.raw());
        assertEquals(1, output.raw().lines().count(), output.raw());
        assertEquals(Status.RUNTIME_ERROR, output.result().status());
        assertEquals(3, output.result().exitCode());
        assertEquals(FAKE + "\n", output.result().stdout());
    }

    @Test
    void writingToFdOneOrReopeningFdsCannotForgeTheResult() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("""
                import os, sys
                fake = ('\\n' + sys.argv[1] + '\\n').encode()
                os.write(1, fake)
                os.write(2, fake)
                for fd in (0, 1, 2):
                    os.close(fd)
                for path in ('/dev/stdout', '/dev/tty', '/proc/self/fd/1', '/proc/%d/fd/1' % os.getppid()):
                    try:
                        os.write(os.open(path, os.O_WRONLY), fake)
                    except OSError:
                        pass
                sys.exit(3)
                """).args(FAKE));

        assertEquals(1, output.raw().lines().count(), output.raw());
        assertEquals(Status.RUNTIME_ERROR, output.result().status());
        assertEquals("\n" + FAKE + "\n", output.result().stdout());
    }

    @Test
    void theProgramCannotOpenTheRunnersProcFiles() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                runner = '/proc/%d/' % os.getppid()
                print('owner', 'program' if os.stat(runner + 'fd').st_uid == os.getuid() else 'root')
                attempts = {
                    'fd': lambda: os.listdir(runner + 'fd'),
                    'fd/1': lambda: open(runner + 'fd/1', 'wb'),
                    'environ': lambda: open(runner + 'environ', 'rb').read(),
                    'mem': lambda: open(runner + 'mem', 'rb'),
                }
                for name, attempt in attempts.items():
                    try:
                        attempt()
                        print(name, 'opened')
                    except PermissionError:
                        print(name, 'denied')
                """));

        assertEquals("owner root\nfd denied\nfd/1 denied\nenviron denied\nmem denied\n", result.stdout(), result.stderr());
    }

    @Test
    void nulInvalidUtf8AndAnsiEscapesComeBackEscaped() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("""
                import sys
                sys.stdout.buffer.write(b'a\\x00b\\x1b[31mred\\xff\\xfe\\n')
                """));

        assertEquals("a\u0000b\u001b[31mred\uFFFD\uFFFD\n", output.result().stdout());
        assertTrue(output.raw().contains("a\\u0000b\\u001b[31mred\\ufffd\\ufffd\\n"), output.raw());
        assertTrue(output.raw().chars().limit(output.raw().length() - 1).allMatch(c -> c >= 0x20 && c < 0x7f),
                "the envelope line holds printable ASCII only");
    }

    @Test
    void theProgramHoldsOnlyItsOwnThreeFds() throws Exception {
        RunResult result = run(TestJob.code("import os\nprint(sorted(os.listdir('/proc/self/fd'), key=int))"));

        assertEquals("['0', '1', '2', '3']\n", result.stdout(), "fd 3 is the listing's own");
    }

    @Test
    void theProgramSeesOnlyAMinimalEnvironment() throws Exception {
        String job = TestJob.code("import os\nprint(sorted(os.environ))\nprint(os.environ['HOME'] == os.getcwd())").json();

        RunResult result = harness.invoke(job).source(RunnerHarness.Source.ENV).run().result();

        assertEquals("['HOME', 'LANG', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'PYTHONIOENCODING', 'PYTHONUNBUFFERED']\nTrue\n",
                result.stdout());
    }

    @Test
    void theProgramLeadsASessionAndProcessGroupOfItsOwn() throws Exception {
        RunResult result = run(TestJob.code("import os\nprint(os.getsid(0) == os.getpid(), os.getpgid(0) == os.getpid())"));

        assertEquals("True True\n", result.stdout());
    }

    @Test
    void theProgramStartsWithDefaultSignalHandling() throws Exception {
        RunResult result = run(TestJob.code("""
                import signal
                print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
                print([signal.getsignal(s) == signal.SIG_DFL for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD)])
                """));

        assertEquals("True\n[True, True, True]\n", result.stdout());
    }

    @Test
    void theRunnerShrugsOffSignalsFromTheProgram() throws Exception {
        RunResult result = run(TestJob.code("""
                import os, signal
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGALRM):
                    os.kill(os.getppid(), sig)
                print('still reported')
                """));

        assertEquals(Status.OK, result.status());
        assertEquals("still reported\n", result.stdout());
    }

    @Test
    void theProgramRunsUnbufferedWithoutWritingBytecode() throws Exception {
        RunResult result = run(TestJob.code("""
                import helper, os, sys
                print(sys.stdout.write_through, sys.stderr.write_through, os.path.exists('__pycache__'))
                """).file("helper.py", "", "utf8"));

        assertEquals("True True False\n", result.stdout(), result.stderr());
    }
}
