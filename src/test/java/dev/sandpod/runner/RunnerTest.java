package dev.sandpod.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import dev.sandpod.runner.RunnerHarness.Source;
import dev.sandpod.runner.RunnerHarness.Started;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner's protocol (DESIGN §3): job sources, statuses, stdin, stdout and stderr, files and args. */
class RunnerTest extends RunnerTestSupport {

    @Test
    void printsHelloWorldAsOk() throws Exception {
        RunResult result = run(TestJob.code("print('Hello, World!')"));

        assertEquals(Status.OK, result.status());
        assertEquals(0, result.exitCode());
        assertNull(result.signal());
        assertEquals("Hello, World!\n", result.stdout());
        assertEquals("Hello, World!\n", result.output());
        assertEquals("", result.stderr());
        assertFalse(result.truncated());
        assertNull(result.detail());
        assertTrue(result.memoryKb() > 0, "memoryKb " + result.memoryKb());
    }

    @Test
    void givesTheInputToStdin() throws Exception {
        assertPrints("With input!\n", TestJob.code("print(input())").input("With input!"));
    }

    @Test
    void givesEndOfFileAtOnceWhenThereIsNoInput() throws Exception {
        assertPrints("''\n", TestJob.code("import sys\nprint(repr(sys.stdin.read()))"));
    }

    @Test
    void readsEveryLineOfMultiLineInputIncludingALastLineWithoutNewline() throws Exception {
        assertPrints("three|two|one\n", TestJob.code("a = input()\nb = input()\nc = input()\nprint(c, b, a, sep='|')")
                .input("one\ntwo\nthree"));
    }

    @Test
    void roundTripsNonAsciiTextAsUtf8() throws Exception {
        assertPrints("GRÜSSE, 世界 ✓\n", TestJob.code("print(input().upper(), '✓')").input("grüße, 世界"));
    }

    @Test
    void reportsARuntimeErrorWithItsExitCodeAndTraceback() throws Exception {
        RunResult result = run(TestJob.code("print('before')\nraise ValueError('boom')"));

        assertEquals(Status.RUNTIME_ERROR, result.status());
        assertEquals(1, result.exitCode());
        assertNull(result.signal());
        assertEquals("before\n", result.stdout());
        assertTrue(result.stderr().startsWith("Traceback (most recent call last):"), result.stderr());
        assertTrue(result.stderr().endsWith("ValueError: boom\n"), result.stderr());
        assertEquals("exited with code 1", result.detail());
    }

    @Test
    void reportsTheExitCodeThatTheProgramChose() throws Exception {
        RunResult result = run(TestJob.code("import sys\nsys.exit(42)"));

        assertEquals(Status.RUNTIME_ERROR, result.status());
        assertEquals(42, result.exitCode());
    }

    @Test
    void timesOutABusyLoopAtTheWallLimit() throws Exception {
        RunResult result = run(TestJob.code("while True: pass").timeMs(500));

        assertEnded(result, Status.TIMEOUT, "SIGKILL", "wall time limit of 500 ms exceeded");
        assertNull(result.exitCode());
    }

    @Test
    void timesOutASleepingProgramAtTheWallLimit() throws Exception {
        RunResult result = run(TestJob.code("import time\ntime.sleep(60)").timeMs(500));

        assertEnded(result, Status.TIMEOUT, "SIGKILL", "wall time limit of 500 ms exceeded");
    }

    @Test
    void killsAProgramIgnoringSigtermAtTheWallLimit() throws Exception {
        RunResult result = run(TestJob.code("""
                import signal, time
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                print('ignoring', flush=True)
                while True:
                    time.sleep(1)
                """).timeMs(3000));

        assertEquals(Status.TIMEOUT, result.status());
        assertEquals("SIGKILL", result.signal());
        assertEquals("ignoring\n", result.stdout(), "the handlers were in place before the limit");
    }

    @Test
    void reportsDeathBySignalAsKilled() throws Exception {
        RunResult result = run(TestJob.code("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)"));

        assertEnded(result, Status.KILLED, "SIGSEGV", "killed by SIGSEGV");
        assertNull(result.exitCode());
    }

    @Test
    void reportsAMemoryErrorAsMemoryLimit() throws Exception {
        RunResult result = run(TestJob.code("x = bytearray(1 << 50)"));

        assertEquals(Status.MEMORY_LIMIT, result.status());
        assertEquals(1, result.exitCode());
        assertTrue(result.stderr().contains("MemoryError"), result.stderr());
        assertEquals("memory limit of 128 MB exceeded", result.detail());
    }

    @Test
    void stopsRunawayStdoutAtItsCap() throws Exception {
        RunResult result = run(TestJob.code("import sys\nwhile True:\n    sys.stdout.write('x' * 1000)")
                .outputBytes(4096));

        assertEquals(Status.OUTPUT_LIMIT, result.status());
        assertTrue(result.truncated());
        assertEquals("SIGKILL", result.signal());
        assertEquals("x".repeat(4096), result.stdout());
        assertEquals(result.stdout(), result.output());
        assertEquals("stdout exceeded the limit of 4096 bytes", result.detail());
    }

    @Test
    void stopsRunawayStderrAtItsCap() throws Exception {
        RunResult result = run(TestJob.code("import sys\nprint('hi')\nwhile True:\n    sys.stderr.write('e' * 1000)")
                .outputBytes(4096));

        assertEquals(Status.OUTPUT_LIMIT, result.status());
        assertTrue(result.truncated());
        assertEquals("hi\n", result.stdout());
        assertEquals("e".repeat(4096), result.stderr());
        assertEquals(3 + 4096, result.output().length(), "both streams, interleaved, and nothing past the cap");
    }

    @Test
    void neverSplitsAMultiByteCharacterAtTheCap() throws Exception {
        RunResult result = run(TestJob.code("while True:\n    print('é' * 999, end='')").outputBytes(4097));

        assertEquals(Status.OUTPUT_LIMIT, result.status());
        assertEquals("é".repeat(2048), result.stdout(), "4097 bytes hold 2048 two-byte characters and half of one");
    }

    @Test
    void interleavesStdoutAndStderrInArrivalOrder() throws Exception {
        RunResult result = run(TestJob.code(INTERLEAVED));

        assertEquals("out0 err0 out1 err1 out2 err2 ", result.output());
        assertEquals("out0 out1 out2 ", result.stdout());
        assertEquals("err0 err1 err2 ", result.stderr());
    }

    @Test
    void passesArgsAsSysArgv() throws Exception {
        assertPrints("['a b', '--flag', 'ü', '']\n",
                TestJob.code("import sys\nprint(sys.argv[1:])").args("a b", "--flag", "ü", ""));
    }

    @Test
    void writesTheJobsFilesIntoTheWorkingDirectory() throws Exception {
        assertPrints("hello 42 [0, 1, 255, 128]\n", TestJob.code("""
                from pkg.helper import ANSWER
                print(open('data.txt').read(), ANSWER, list(open('bin/blob', 'rb').read()))
                """)
                .file("data.txt", "hello", "utf8")
                .file("pkg/helper.py", "ANSWER = 42", null)
                .file("bin/blob", "AAH/gA==", "base64"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/tmp/sandpod-runner-abs", "a/../../x", "", "a//b", "./x", "a/.", "x\0y"})
    void refusesAFilePathThatCouldLeaveTheWorkingDirectory(String path) throws Exception {
        RunResult result = run(TestJob.code("print('never runs')").file(path, "pwned", "utf8"));

        assertEquals(Status.INTERNAL_ERROR, result.status());
        assertTrue(result.detail().startsWith("invalid file path"), result.detail());
        assertEquals("", result.stdout());
        assertFalse(Files.exists(harness.dir().resolve("x")));
        assertFalse(Files.exists(Path.of("/tmp/sandpod-runner-abs")));
    }

    @Test
    void refusesAFileThatWouldReplaceTheProgram() throws Exception {
        RunResult result = run(TestJob.code("print('mine')").file("main.py", "print('theirs')", "utf8"));

        assertEquals(Status.INTERNAL_ERROR, result.status());
        assertEquals("cannot write file 'main.py': File exists", result.detail());
    }

    @Test
    void refusesAWorkingDirectoryThatIsASymlink() throws Exception {
        Path elsewhere = Files.createDirectory(harness.dir().resolve("elsewhere"));
        Path link = Files.createSymbolicLink(harness.dir().resolve("link"), elsewhere);

        RunResult result = harness.invoke(TestJob.code("print(1)").json()).flags("--workdir", link.toString())
                .run().result();

        assertEquals(Status.INTERNAL_ERROR, result.status());
        assertTrue(result.detail().contains("working directory"), result.detail());
        try (Stream<Path> files = Files.list(elsewhere)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void givesEveryJobSourceTheSameResult() throws Exception {
        String job = TestJob.code("import sys\nprint(input(), sys.argv[1], open('f').read())\nsys.exit(3)")
                .input("in").args("arg").file("f", "file", "utf8").json();

        RunResult fromStdin = runFrom(Source.STDIN, job);
        RunResult fromFile = runFrom(Source.FILE, job);
        RunResult fromEnv = runFrom(Source.ENV, job);

        assertEquals(Status.RUNTIME_ERROR, fromStdin.status());
        assertEquals("in arg file\n", fromStdin.stdout());
        assertEquals(withoutTimings(fromStdin), withoutTimings(fromFile));
        assertEquals(withoutTimings(fromStdin), withoutTimings(fromEnv));
    }

    @Test
    void runsTheSameFromAFileAsFromDashC() throws Exception {
        RunnerOutput output = harness.invoke(TestJob.code("print('from a file')").json()).runnerAsFile().run();

        assertEquals(Status.OK, output.result().status());
        assertEquals("from a file\n", output.result().stdout());
    }

    static Stream<String> malformedJobs() {
        String limits = "\"limits\": {\"timeMs\": 1000, \"cpuMs\": 1000, \"outputBytes\": 9, \"fileBytes\": 9, \"maxProcs\": 1}";
        String code = "{\"code\": \"print(1)\", ";
        return Stream.of(
                "",
                "not json",
                "[]",
                "[".repeat(100_000),
                code.replace(", ", "}"),
                "{\"code\": 5, " + limits + "}",
                code + limits.replace("1000,", "-1,") + "}",
                code + limits.replace("1000,", "\"1000\",") + "}",
                code + limits.replace("1000,", "true,") + "}",
                code + "\"args\": [1], " + limits + "}",
                code + "\"tests\": {}, " + limits + "}",
                code + "\"tests\": [{\"input\": \"\"}], " + limits + "}",
                code + "\"files\": [{\"path\": \"a\", \"content\": \"!!\", \"encoding\": \"base64\"}], " + limits + "}",
                code + "\"files\": [{\"path\": \"a\", \"content\": \"x\", \"encoding\": \"rot13\"}], " + limits + "}");
    }

    @ParameterizedTest
    @MethodSource("malformedJobs")
    void answersAMalformedJobWithAnInternalErrorEnvelope(String job) throws Exception {
        RunnerOutput output = harness.invoke(job).run();

        assertEquals(1, output.envelopeLines(), output.raw());
        assertEquals(Status.INTERNAL_ERROR, output.result().status());
        assertTrue(output.result().detail().startsWith("invalid"), output.result().detail());
        assertEquals("", output.result().stdout());
    }

    @Test
    void reportsAnInterpreterThatCannotStartAsInternalError() throws Exception {
        RunResult result = harness.invoke(TestJob.code("print(1)").json()).flags("--python", "/nonexistent/python3")
                .run().result();

        assertEquals(Status.INTERNAL_ERROR, result.status());
        assertEquals("cannot start the program: FileNotFoundError: No such file or directory", result.detail());
    }

    @Test
    void feedsAMebibyteOfInputToAProgramThatNeverReadsIt() throws Exception {
        assertPrints("ignored stdin\n", TestJob.code("print('ignored stdin')").input("x".repeat(1 << 20)));
    }

    @Test
    void feedsAMebibyteOfInputToAProgramThatReadsItAll() throws Exception {
        assertPrints("1048576\n", TestJob.code("import sys\nprint(len(sys.stdin.read()))").input("y\n".repeat(1 << 19)));
    }

    @Test
    void createsTheWorkingDirectoryBeforeBlockingOnStdin() throws Exception {
        Started runner = harness.invoke(TestJob.code("import os\nprint(sorted(os.listdir()))").json()).start();

        Path workdir = harness.workdir();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.isDirectory(workdir) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(Files.isDirectory(workdir), "no working directory while the runner waits for its job");
        assertTrue(runner.isAlive());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(workdir)));

        RunResult result = runner.sendJob(true).await().result();
        assertEquals("['main.py']\n", result.stdout());
    }

    @Test
    void takesAJobOnStdinEndedByANewlineWithoutEof() throws Exception {
        Started runner = harness.invoke(TestJob.code("print('no EOF needed')").json()).start();

        RunResult result = runner.sendJob(false).await().result();

        assertEquals("no EOF needed\n", result.stdout());
    }

    @Test
    void returnsWhenTheProgramExitsThoughADaemonStillHoldsItsPipes() throws Exception {
        Path pidFile = harness.dir().resolve("daemon.pid");
        RunResult result = run(TestJob.code(LEAVE_A_DAEMON + """
                import sys
                leave_a_daemon(sys.argv[1])
                print('parent done')
                """).args(pidFile.toString()).timeMs(20_000));

        long daemon = Long.parseLong(Files.readString(pidFile));
        try {
            assertTrue(ProcessHandle.of(daemon).isPresent(), "the daemon escaped the group and still runs");
            assertEquals(Status.OK, result.status(), "the runner waited on the pipes, not on its child");
            assertEquals("parent done\n", result.stdout());
        } finally {
            ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void killsTheProgramsGroupWhenTheProgramExits() throws Exception {
        Path pidFile = harness.dir().resolve("child.pid");
        RunResult result = run(TestJob.code("""
                import subprocess, sys
                child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
                with open(sys.argv[1], 'w') as f:
                    f.write(str(child.pid))
                print('left a child behind')
                """).args(pidFile.toString()));

        assertEquals(Status.OK, result.status());
        long child = Long.parseLong(Files.readString(pidFile));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (isRunning(child) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(isRunning(child), "a process of the program's group outlived the run");
    }

    private static boolean isRunning(long pid) throws IOException {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        try {
            return Files.readAllLines(status).stream().noneMatch(l -> l.startsWith("State:") && l.contains("Z"));
        } catch (IOException gone) {
            return false;
        }
    }

    private RunResult runFrom(Source source, String job) throws IOException, InterruptedException {
        String workdir = harness.dir().resolve(source.name()).toString();
        return harness.invoke(job).source(source).flags("--workdir", workdir).run().result();
    }
}
