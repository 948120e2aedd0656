package dev.sandpod.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A throwaway cgroup v1 memory group with a small limit, so that a test can provoke a real OOM kill on a bare host.
 * Only root can make one, and only where the v1 memory controller is mounted (as on this project's CI machines).
 */
final class MemoryCgroup implements AutoCloseable {
    private static final Path HIERARCHY = Path.of("/sys/fs/cgroup/memory");
    private final Path dir;

    private MemoryCgroup(Path dir) {
        this.dir = dir;
    }

    static boolean available() {
        return RunnerHarness.ROOT && Files.isWritable(HIERARCHY.resolve("cgroup.procs"));
    }

    static MemoryCgroup create(long limitBytes) throws IOException {
        Path dir = Files.createDirectory(HIERARCHY.resolve("sandpod-runner-test-" + ProcessHandle.current().pid()
                + "-" + System.nanoTime()));
        Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(limitBytes));
        Path withSwap = dir.resolve("memory.memsw.limit_in_bytes");
        if (Files.exists(withSwap)) {
            Files.writeString(withSwap, Long.toString(limitBytes));
        }
        return new MemoryCgroup(dir);
    }

    /** The file whose {@code oom_kill N} line the runner reads before and after the run. */
    Path oomEvents() {
        return dir.resolve("memory.oom_control");
    }

    void add(long pid) throws IOException {
        Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
    }

    /** Removes the group once its last process is gone; the kernel may need a moment after the final exit. */
    @Override
    public void close() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                Files.delete(dir);
                return;
            } catch (IOException busy) {
                if (System.nanoTime() > deadline) {
                    throw busy;
                }
                Thread.sleep(20);
            }
        }
    }
}
