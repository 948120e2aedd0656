package dev.sandpod.runner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import dev.sandpod.runner.RunnerHarness.Started;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Each limit the runner sets on the program, proven by the kernel enforcing it. */
class RunnerLimitsTest extends RunnerTestSupport {

    @Test
    void cpuLimitStopsABusyLoopLongBeforeTheWallLimit() throws Exception {
        RunResult result = run(TestJob.code("while True: pass").cpuMs(1000).timeMs(60_000));

        assertEnded(result, Status.TIMEOUT, "SIGXCPU", "cpu time limit of 1 s exceeded");
    }

    @Test
    void cpuHardLimitKillsAProgramThatIgnoresSigxcpu() throws Exception {
        RunResult result = run(TestJob.code("""
                import signal
                signal.signal(signal.SIGXCPU, signal.SIG_IGN)
                while True:
                    pass
                """).cpuMs(1000).timeMs(60_000));

        assertEnded(result, Status.TIMEOUT, "SIGKILL", "cpu time limit of 1 s exceeded");
    }

    @Test
    void anEqualCpuBudgetGetsASecondOfSlackSoTheWallTimerFiresFirst() throws Exception {
        assertPrints("(2, 3)\n", TestJob.code("import resource; print(resource.getrlimit(resource.RLIMIT_CPU))")
                .cpuMs(1000).timeMs(1000));
    }

    @Test
    void busyLoopAtAnEqualCpuBudgetEndsByTheWallTimer() throws Exception {
        RunResult result = run(TestJob.code("while True: pass").cpuMs(1000).timeMs(1000));

        assertEnded(result, Status.TIMEOUT, "SIGKILL", "wall time limit of 1000 ms exceeded");
    }

    @Test
    void fileSizeLimitStopsAWriteAtFileBytes() throws Exception {
        assertPrints("EFBIG 10000\n", TestJob.code("""
                import errno, os
                fd = os.open('big', os.O_WRONLY | os.O_CREAT)
                os.write(fd, b'x' * 10000)
                try:
                    os.write(fd, b'x')
                except OSError as e:
                    print(errno.errorcode[e.errno], os.path.getsize('big'))
                """).fileBytes(10_000));
    }

    @Test
    void openFilesAreLimitedTo64() throws Exception {
        assertPrints("EMFILE 63\n", TestJob.code("""
                import errno, os
                fds = []
                try:
                    while True:
                        fds.append(os.open('/dev/null', os.O_RDONLY))
                except OSError as e:
                    print(errno.errorcode[e.errno], max(fds))
                """));
    }

    @Test
    void coreDumpsAreDisabled() throws Exception {
        RunResult result = run(TestJob.code("import os, resource\nprint(resource.getrlimit(resource.RLIMIT_CORE))\nos.abort()"));

        assertEquals(Status.KILLED, result.status());
        assertEquals("SIGABRT", result.signal());
        assertEquals("(0, 0)\n", result.stdout());
        try (Stream<Path> files = Files.list(harness.workdir())) {
            assertEquals(List.of("main.py"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void theProgramIsTheOomKillersFirstChoice() throws Exception {
        assertPrints("1000\n", TestJob.code("print(open('/proc/self/oom_score_adj').read().strip())"));
    }

    @Test
    void rlimitNprocCapsTheProgramsProcessesWhenAsked() throws Exception {
        String job = TestJob.code("""
                import os, time
                children = 0
                try:
                    for _ in range(50):
                        if os.fork() == 0:
                            time.sleep(60)
                            os._exit(0)
                        children += 1
                except BlockingIOError:
                    print('fork refused after', children)
                """).maxProcs(4).json();

        RunResult result = harness.invoke(job).flags("--rlimit-nproc").run().result();

        assertEquals(Status.OK, result.status(), result.stderr());
        assertTrue(result.stdout().startsWith("fork refused after "), result.stdout());
    }

    @Test
    void anOomKillInTheSandboxCgroupIsAMemoryLimit() throws Exception {
        assumeTrue(MemoryCgroup.available(), "needs root and the cgroup v1 memory controller");
        try (MemoryCgroup cgroup = MemoryCgroup.create(96L << 20)) {
            String job = TestJob.code("""
                    chunks = []
                    while True:
                        chunks.append(b'x' * (8 << 20))
                    """).timeMs(60_000).json();
            Started runner = harness.invoke(job).flags("--oom-events", cgroup.oomEvents().toString()).start();
            cgroup.add(runner.pid());

            RunResult result = runner.sendJob(true).await().result();

            assertEnded(result, Status.MEMORY_LIMIT, "SIGKILL", "memory limit of 128 MB exceeded");
        }
    }
}
