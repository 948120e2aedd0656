package dev.sandpod.local;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * The cgroup of one jail: memory (and swap, held at zero), pids, one CPU's worth of quota, and CPU accounting.
 *
 * <p>Killing: on v2 one write to {@code cgroup.kill} ends every task atomically. On v1 the jail's own process tree
 * is the lever: the runner is PID 1 of the jail's pid namespace and bwrap kills it when its parent dies, and the
 * kernel kills every other task of a namespace whose PID 1 is gone, so once the caller has killed bwrap the
 * cgroup empties by itself. Only if tasks remain after a grace period does v1 fall back to freezing forks
 * ({@code pids.max = 0}) and signalling each listed pid.
 */
final class RunCgroup {
    static final long CPU_PERIOD_US = 100_000;
    /** How long a v1 cgroup may take to empty after its jail is killed before the pid-by-pid sweep starts. */
    private static final Duration SWEEP_GRACE = Duration.ofMillis(200);

    private final Cgroups.Version version;
    private final Map<String, Path> dirs;
    private final boolean swapAccounting;
    private final boolean killFile;

    RunCgroup(Cgroups.Version version, Map<String, Path> dirs, boolean swapAccounting, boolean killFile) {
        this.version = version;
        this.dirs = Map.copyOf(dirs);
        this.swapAccounting = swapAccounting;
        this.killFile = killFile;
    }

    /** Sets memory (no swap beyond it) and task limits; safe to call again before the job arrives, to resize. */
    void setLimits(long memoryBytes, int maxPids) throws IOException {
        if (version == Cgroups.Version.V2) {
            write("memory", "memory.max", memoryBytes);
            if (swapAccounting) {
                write("memory", "memory.swap.max", 0);
            }
            write("pids", "pids.max", maxPids);
            write("cpu", "cpu.max", CPU_PERIOD_US + " " + CPU_PERIOD_US);
            return;
        }
        // memsw must stay >= the memory limit after every single write
        boolean growing = swapAccounting && memoryBytes > readLong("memory", "memory.limit_in_bytes");
        if (growing) {
            write("memory", "memory.memsw.limit_in_bytes", memoryBytes);
        }
        write("memory", "memory.limit_in_bytes", memoryBytes);
        if (swapAccounting && !growing) {
            write("memory", "memory.memsw.limit_in_bytes", memoryBytes);
        }
        write("pids", "pids.max", maxPids);
        write("cpu", "cpu.cfs_period_us", CPU_PERIOD_US);
        write("cpu", "cpu.cfs_quota_us", CPU_PERIOD_US);
    }

    /** The {@code cgroup.procs} file of each distinct hierarchy; the jail writes its pid into each before it starts. */
    List<Path> procsFiles() {
        return distinctDirs().stream().map(dir -> dir.resolve("cgroup.procs")).toList();
    }

    /** The OOM counter and where the jail sees it, at the path a cgroup namespace would show it. */
    BwrapCommand.OomCounter oomCounter() {
        return version == Cgroups.Version.V2
                ? new BwrapCommand.OomCounter(dirs.get("memory").resolve("memory.events"), "/sys/fs/cgroup/memory.events")
                : new BwrapCommand.OomCounter(dirs.get("memory").resolve("memory.oom_control"),
                        "/sys/fs/cgroup/memory/memory.oom_control");
    }

    /** How many tasks the kernel's OOM killer has killed in this cgroup. */
    long oomKills() throws IOException {
        for (String line : Files.readAllLines(oomCounter().hostFile())) {
            if (line.startsWith("oom_kill ")) {
                return Long.parseLong(line.substring("oom_kill ".length()).trim());
            }
        }
        return 0;
    }

    /** The peak memory use in KiB, or 0 where the kernel does not track it (v2 before 5.19). */
    long peakMemoryKb() throws IOException {
        String file = version == Cgroups.Version.V2 ? "memory.peak" : "memory.max_usage_in_bytes";
        Path path = dirs.get("memory").resolve(file);
        return Files.exists(path) ? readLong("memory", file) / 1024 : 0;
    }

    /** CPU time used by every task of the cgroup, in milliseconds. */
    long cpuMs() throws IOException {
        if (version == Cgroups.Version.V1) {
            return readLong("cpuacct", "cpuacct.usage") / 1_000_000;
        }
        for (String line : Files.readAllLines(dirs.get("cpu").resolve("cpu.stat"))) {
            if (line.startsWith("usage_usec ")) {
                return Long.parseLong(line.substring("usage_usec ".length()).trim()) / 1000;
            }
        }
        return 0;
    }

    /**
     * Kills whatever is left in the cgroup and removes it, within {@code timeout}.
     *
     * @return false when a task or a directory outlived the timeout; the caller logs it
     */
    boolean destroy(Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        if (killFile) {
            try {
                write("memory", "cgroup.kill", 1);
            } catch (IOException gone) {
                // already empty and removed, or about to be: the loop below sees which
            }
        }
        try {
            boolean forksFrozen = false;
            for (Set<Long> tasks = tasks(); !tasks.isEmpty(); tasks = tasks()) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                if (System.nanoTime() - start > SWEEP_GRACE.toNanos()) {
                    forksFrozen = forksFrozen || freezeForks();
                    tasks.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                }
                pause();
            }
        } catch (IOException unreadable) {
            return false;
        }
        List<Path> remaining = new ArrayList<>(distinctDirs());
        while (!remaining.isEmpty()) {
            try {
                Files.deleteIfExists(remaining.getFirst());
                remaining.removeFirst();
            } catch (DirectoryNotEmptyException notACgroup) {
                // cgroupfs answers EBUSY, never ENOTEMPTY: this is a plain directory, retrying will not help
                return false;
            } catch (IOException busy) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                pause();
            }
        }
        return true;
    }

    /** Every task in any of the run's hierarchies. */
    Set<Long> tasks() throws IOException {
        Set<Long> tasks = new LinkedHashSet<>();
        for (Path procs : procsFiles()) {
            try {
                for (String line : Files.readAllLines(procs)) {
                    if (!line.isBlank()) {
                        tasks.add(Long.parseLong(line.trim()));
                    }
                }
            } catch (NoSuchFileException removed) {
                // already gone
            }
        }
        return tasks;
    }

    private boolean freezeForks() {
        try {
            write("pids", "pids.max", 0);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Set<Path> distinctDirs() {
        return new LinkedHashSet<>(dirs.values());
    }

    private void write(String controller, String file, Object value) throws IOException {
        Files.writeString(dirs.get(controller).resolve(file), value.toString());
    }

    private long readLong(String controller, String file) throws IOException {
        return Long.parseLong(Files.readString(dirs.get(controller).resolve(file)).trim());
    }

    /** Tasks exit and directories free up within milliseconds; a short park keeps the poll from spinning. */
    private static void pause() {
        LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
    }
}
