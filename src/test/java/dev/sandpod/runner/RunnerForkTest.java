package dev.sandpod.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fork mode: a runner that read its job from stdin runs a non-judge program in a forked copy of its own interpreter
 * instead of starting a new one. The program must not be able to tell, except by sys.flags, /proc/self/cmdline and
 * /proc/self/environ (the runner's), its speed, and a few more frames below its own; and judge mode never forks.
 */
class RunnerForkTest extends RunnerTestSupport {
    /** What a program can see of its own start, one item a line. */
    private static final String SELF_PORTRAIT = """
            import os, resource, signal, sys
            print(sys.argv, sys.orig_argv, sys.executable, sys.dont_write_bytecode)
            print(sys.path)
            print(__name__, __file__, sorted(globals()), type(__loader__).__name__, __spec__, __cached__)
            print(sys.modules['__main__'] is sys.modules[__name__], os.getcwd(), sorted(os.environ.items()))
            for s in (sys.stdin, sys.stdout, sys.stderr):
                print(s.name, s.mode, s.encoding, s.errors, s.line_buffering, s.write_through, type(s.buffer).__name__)
            print(sys.stdin is sys.__stdin__, sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__)
            print(sorted(os.listdir('/proc/self/fd'), key=int))
            print([line for line in open('/proc/self/status') if line.startswith(('SigBlk', 'SigIgn', 'SigCgt'))])
            print({s.name: signal.getsignal(s) for s in signal.Signals if s not in (signal.SIGKILL, signal.SIGSTOP)})
            print([resource.getrlimit(r) for r in (resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE,
                                                    resource.RLIMIT_CORE, resource.RLIMIT_NPROC)])
            print(open('/proc/self/oom_score_adj').read(), os.getsid(0) == os.getpid(), os.getpgid(0) == os.getpid())
            print(callable(exit), callable(quit), callable(help), hasattr(sys, '__interactivehook__'))
            """;

    static Stream<Arguments> programs() {
        return Stream.of(
                Arguments.of("its own start", TestJob.code(SELF_PORTRAIT).args("a b", "-c", "ü")),
                Arguments.of("imports of its own files", TestJob.code("import helper, pkg.mod\nprint(helper.X, pkg.mod.Y)")
                        .file("helper.py", "X = 1", "utf8").file("pkg/__init__.py", "", "utf8")
                        .file("pkg/mod.py", "Y = 2", "utf8")),
                Arguments.of("stdin", TestJob.code("import sys\nprint(input())\nprint(repr(sys.stdin.read()))")
                        .input("first\nsecond\nlast without newline")),
                Arguments.of("interleaved stdout and stderr", TestJob.code(INTERLEAVED)),
                Arguments.of("an exit code", TestJob.code("import sys\nprint('bye')\nsys.exit(3)")),
                Arguments.of("exit() of site", TestJob.code("exit(4)")),
                Arguments.of("a SystemExit message", TestJob.code("raise SystemExit('gone')")),
                Arguments.of("an uncaught exception", TestJob.code("def f():\n    raise ValueError('boom')\n\nf()")),
                Arguments.of("a chained exception", TestJob.code("try:\n    1 / 0\nexcept Exception as e:\n"
                        + "    raise KeyError('k') from e")),
                Arguments.of("a syntax error", TestJob.code("print('unclosed'")),
                Arguments.of("an uncaught KeyboardInterrupt", TestJob.code("raise KeyboardInterrupt")),
                Arguments.of("a NUL byte, where the file tokenizer stops", TestJob.code("print(1)\0garbage")),
                Arguments.of("a lone surrogate, not UTF-8", TestJob.code("print('\uD800')")),
                Arguments.of("atexit and a late thread", TestJob.code("""
                        import atexit, threading, time
                        atexit.register(print, 'at exit')
                        threading.Thread(target=lambda: (time.sleep(0.2), print('thread'))).start()
                        print('main')
                        """)),
                Arguments.of("a signal", TestJob.code("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)")),
                Arguments.of("a wall timeout", TestJob.code("import time\nprint('start', flush=True)\ntime.sleep(60)")
                        .timeMs(1000)),
                Arguments.of("the output cap", TestJob.code("while True:\n    print('x' * 1000)")
                        .outputBytes(1000)),
                Arguments.of("a fork bomb", TestJob.code("""
                        import os, time
                        try:
                            for _ in range(50):
                                if os.fork() == 0:
                                    time.sleep(60)
                                    os._exit(0)
                        except BlockingIOError:
                            print('fork refused')
                        """).maxProcs(4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void forkModeAndExecModeGiveTheSameResult(String what, TestJob job) throws Exception {
        RunResult forked = runIn(job, "--rlimit-nproc");
        RunResult executed = runIn(job, "--rlimit-nproc", "--exec");

        assertEquals(withoutTimings(executed), withoutTimings(forked));
        assertNotEquals(Status.INTERNAL_ERROR, forked.status(), forked.detail());
        assertFalse(forked.stderr().contains("run_program"), "the runner's frames stay out of tracebacks");
    }

    @Test
    void aNonJudgeJobFromStdinRunsInAForkedInterpreter() throws Exception {
        String isolated = "import sys\nprint(sys.flags.isolated)";

        assertEquals("1\n", runIn(TestJob.code(isolated)).stdout(), "the runner's -I shows: forked");
        assertEquals("0\n", runIn(TestJob.code(isolated), "--exec").stdout(), "a new interpreter without -I");
    }

    @Test
    void judgeModeNeverForksSoTheExpectedOutputsStayOutOfReach() throws Exception {
        String secret = "sandpod-expected";
        String probe = """
                import gc, sys
                secret = '-'.join(['sandpod', 'expected'])
                mine = globals()

                def holds(o):
                    if isinstance(o, (tuple, list)):
                        return secret in o
                    names = o if isinstance(o, dict) else getattr(o, '__dict__', None)
                    return isinstance(names, dict) and names is not mine and secret in names.values()

                print(sum(1 for o in gc.get_objects() if holds(o)), sys.flags.isolated)
                """;

        RunResult judged = runIn(TestJob.code(probe).test("", secret).test("", secret));
        RunResult forked = runIn(TestJob.code(probe).input(secret));

        assertEquals("0 0\n", judged.stdout(), "a new interpreter holds no expected output");
        assertEquals("wrong_answer", judged.verdict());
        assertTrue(forked.stdout().matches("[1-9][0-9]* 1\n"), "the probe finds what a forked program inherits, its own"
                + " job: " + forked.stdout());
    }

    /** Runs the job in a fresh working directory at the same path, so both modes print the same paths. */
    private RunResult runIn(TestJob job, String... flags) throws IOException, InterruptedException {
        RunnerHarness.assertNothingLeftRunning();
        Path workdir = harness.workdir();
        if (Files.exists(workdir)) {
            try (Stream<Path> files = Files.walk(workdir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        return harness.invoke(job.json()).flags(flags).run().result();
    }
}
