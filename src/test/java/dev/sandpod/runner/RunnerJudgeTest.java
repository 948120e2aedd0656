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

        assertEquals("accepted", result.verdict());
        assertEquals(List.of("accepted", "accepted", "accepted"), verdicts(result));
        assertEquals(Status.OK, result.status());
        assertEquals("0   \n", result.stdout(), "the last test's output when all pass");
    }

    @Test
    void reportsAWrongAnswerWithTheFailingTestsOutputOnTop() throws Exception {
        RunResult result = run(TestJob.code(DOUBLER).test("2", "4").test("4", "9").test("5", "10"));

        assertEquals("wrong_answer", result.verdict());
        assertEquals(List.of("accepted", "wrong_answer", "accepted"), verdicts(result));
        assertEquals(Status.OK, result.status());
        assertEquals("8   \n", result.stdout());
        assertEquals(List.of(0, 1, 2), result.tests().stream().map(TestOutcome::index).toList());
    }

    @Test
    void reportsATimeoutAsTheVerdict() throws Exception {
        RunResult result = run(TestJob.code(DOUBLER).timeMs(2500).test("2", "4").test("3", "6"));

        assertEquals("timeout", result.verdict());
        assertEquals(List.of("accepted", "timeout"), verdicts(result));
        assertEquals(Status.TIMEOUT, result.status());
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
        String job = TestJob.code("""
                import os, sys, time
                marker = os.path.join(sys.argv[1], 'daemon.pid')
                if input() == 'check':
                    try:
                        os.kill(int(open(marker).read()), 0)
                        print('daemon alive')
                    except ProcessLookupError:
                        print('daemon gone')
                    sys.exit()
                print('pid', os.getpid())
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        with open(marker + '.tmp', 'w') as f:
                            f.write(str(os.getpid()))
                        os.rename(marker + '.tmp', marker)
                        time.sleep(60)
                    os._exit(0)
                while not os.path.exists(marker):
                    time.sleep(0.01)
                """).args(harness.dir().toString()).test("start", "pid 2").test("check", "daemon gone").json();

        RunResult result = harness.invoke(job)
                .wrappedIn("/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child")
                .run().result();

        assertEquals(List.of("accepted", "accepted"), verdicts(result), result.tests().toString());
    }

    private static List<String> verdicts(RunResult result) {
        return result.tests().stream().map(TestOutcome::verdict).toList();
    }
}
