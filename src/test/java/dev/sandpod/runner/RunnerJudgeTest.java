package dev.sandpod.runner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import dev.sandpod.run.TestOutcome;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Judge mode: one fresh process per test, a verdict for each, and the first failure on top. */
class RunnerJudgeTest extends RunnerTestSupport {
    private static final String DOUBLER = "n = int(input())\nwhile n == 3:\n    pass\nprint(str(n * 2) + '   ')";

    @Test
    void acceptsOutputThatDiffersOnlyInTrailingWhitespace() throws Exception {
        RunResult result = run(TestJob.code(DOUBLER).test("2", "4").test("5", "10\n\n\n").test("0", "0  \r\n"));

        assertEquals(new Judged(Status.OK, "accepted", List.of("accepted", "accepted", "accepted")), Judged.of(result));
        assertEquals("0   \n", result.stdout(), "the last test's output when all pass");
    }

    @Test
    void reportsAWrongAnswerWithTheFailingTestsOutputOnTop() throws Exception {
        RunResult result = run(TestJob.code(DOUBLER).test("2", "4").test("4", "9").test("5", "10"));

        assertEquals(new Judged(Status.OK, "wrong_answer", List.of("accepted", "wrong_answer", "accepted")),
                Judged.of(result));
        assertEquals("8   \n", result.stdout());
        assertEquals(List.of(0, 1, 2), result.tests().stream().map(TestOutcome::index).toList());
    }

    @Test
    void reportsATimeoutAsTheVerdict() throws Exception {
        RunResult result = run(TestJob.code(DOUBLER).timeMs(2500).test("2", "4").test("3", "6"));

        assertEquals(new Judged(Status.TIMEOUT, "timeout", List.of("accepted", "timeout")), Judged.of(result));
        assertEquals(Status.TIMEOUT, result.tests().get(1).status());
    }

    @Test
    void givesEachTestAPristineWorkingDirectory() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                print(open('data.txt').read(), sorted(os.listdir()))
                open('data.txt', 'w').write('changed')
                open('left-behind', 'w').close()
                open('main.py', 'a').write('print("tampered")')
                """).file("data.txt", "original", "utf8")
                .test("", "original ['data.txt', 'main.py']")
                .test("", "original ['data.txt', 'main.py']"));

        assertEquals(List.of("accepted", "accepted"), verdicts(result));
    }

    @Test
    void asPidOneTheRunnerKillsAndReapsEveryProcessBetweenTests() throws Exception {
        assumeTrue(RunnerHarness.ROOT && Files.isExecutable(Path.of("/usr/bin/unshare")), "needs root and unshare");
        String job = TestJob.code(LEAVE_A_DAEMON + """
                import sys
                marker = os.path.join(sys.argv[1], 'daemon.pid')
                if input() == 'check':
                    try:
                        os.kill(int(open(marker).read()), 0)
                        print('daemon alive')
                    except ProcessLookupError:
                        print('daemon gone')
                    sys.exit()
                print('pid', os.getpid())
                leave_a_daemon(marker)
                """).args(harness.dir().toString()).test("start", "pid 2").test("check", "daemon gone").json();

        RunResult result = harness.invoke(job)
                .wrappedIn("/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child")
                .run().result();

        assertEquals(List.of("accepted", "accepted"), verdicts(result), result.tests().toString());
    }

    private static List<String> verdicts(RunResult result) {
        return result.tests().stream().map(TestOutcome::verdict).toList();
    }

    /** What the judge decided: the run's status, its verdict and each test's verdict in order. */
    private record Judged(Status status, String verdict, List<String> tests) {
        static Judged of(RunResult result) {
            return new Judged(result.status(), result.verdict(), verdicts(result));
        }
    }
}
