package dev.sandpod.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real v1 hierarchy of this machine's kind (controllers per directory, an empty cgroup2 beside them). */
class CgroupsV1Test {
    private static final long MIB = 1 << 20;
    private Cgroups cgroups;
    private RunCgroup run;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        assumeTrue(Files.exists(Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes")), "a cgroup v1 host");
        cgroups = Cgroups.open("auto", "sandpod-cgroups-test");
        run = cgroups.create("jail-cgtest", 64 * MIB, 20);
    }

    @AfterEach
    void close() {
        processes.forEach(Process::destroyForcibly);
        run.destroy(Duration.ofSeconds(5));
        cgroups.close();
    }

    @Test
    @DisplayName("the jails' parent weighs as many busy threads of the service as asked")
    void parentIsWeighed() throws IOException {
        cgroups.weigh(16);
        assertEquals(16 * 1024, read(dir("cpu").getParent().resolve("cpu.shares")));
    }

    @Test
    void detectsV1Here() {
        assertEquals(Cgroups.Version.V1, cgroups.version());
    }

    @Test
    @DisplayName("one directory per controller hierarchy, each with the run's limits")
    void limitsAreSet() throws IOException {
        assertEquals(4, run.procsFiles().size(), run.procsFiles().toString());
        run.procsFiles().forEach(procs -> assertTrue(Files.exists(procs), procs.toString()));
        Path memory = dir("memory");
        assertEquals(64 * MIB, read(memory.resolve("memory.limit_in_bytes")));
        if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
            assertEquals(64 * MIB, read(memory.resolve("memory.memsw.limit_in_bytes")), "no swap beyond the limit");
        }
        assertEquals(20, read(dir("pids").resolve("pids.max")));
        assertEquals(100_000, read(dir("cpu").resolve("cpu.cfs_quota_us")), "one CPU");
    }

    @Test
    @DisplayName("the memory limit can grow and shrink (memsw and the limit are written in a valid order)")
    void resizes() throws IOException {
        run.setLimits(256 * MIB, 30);
        assertEquals(256 * MIB, read(dir("memory").resolve("memory.limit_in_bytes")));
        run.setLimits(48 * MIB, 10);
        assertEquals(48 * MIB, read(dir("memory").resolve("memory.limit_in_bytes")));
        assertEquals(10, read(dir("pids").resolve("pids.max")));
    }

    @Test
    @DisplayName("a memory hog is OOM-killed inside the cgroup, and the counter and the peak show it")
    void oomKillIsCounted() throws Exception {
        Process hog = enter("exec /usr/bin/python3 -I -S -c \"x = b'x' * (256 << 20)\"");
        assertTrue(hog.waitFor(30, TimeUnit.SECONDS));
        assertEquals(128 + 9, hog.exitValue(), "SIGKILL");
        assertEquals(1, run.oomKills());
        assertTrue(run.peakMemoryKb() > 32 * 1024, "peak " + run.peakMemoryKb());
    }

    @Test
    @DisplayName("destroy kills tasks left in the cgroup (no pid namespace to do it here) and removes every directory")
    void destroyKillsAndRemoves() throws Exception {
        Process sleeper = enter("sleep 60 & sleep 60 & exec sleep 60");
        awaitTasks(3);
        assertTrue(run.destroy(Duration.ofSeconds(5)));
        assertTrue(sleeper.waitFor(5, TimeUnit.SECONDS));
        run.procsFiles().forEach(procs -> assertFalse(Files.exists(procs.getParent()), procs.getParent().toString()));
    }

    /** Starts {@code script} in a shell that first moves itself into every hierarchy of the run. */
    private Process enter(String script) throws IOException {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c",
                "for f in \"$@\"; do echo $$ > \"$f\"; done; " + script, "sh"));
        run.procsFiles().forEach(procs -> argv.add(procs.toString()));
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        processes.add(process);
        return process;
    }

    private void awaitTasks(int count) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (run.tasks().size() < count) {
            assertTrue(System.nanoTime() < deadline, "tasks: " + run.tasks());
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private Path dir(String controller) {
        return run.procsFiles().stream().map(Path::getParent)
                .filter(dir -> dir.toString().startsWith("/sys/fs/cgroup/" + controller + "/"))
                .findFirst().orElseThrow();
    }

    private static long read(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }
}
