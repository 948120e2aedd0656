package dev.sandpod.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The threads of another process, from {@code /proc/PID/task}: by name (the kernel keeps the first 15 bytes of a Java
 * thread's name) and by what each sleeps in ({@code wchan}), which tells a pool's busy threads from its idle ones
 * without asking the JVM. A jail's pipe drain that holds a pipe sleeps in the pipe's read; the JDK's reaper of a live
 * child process sleeps in {@code wait4}; an idle thread of a cached pool, waiting for work until its keep-alive ends,
 * sleeps on a futex like every other parked thread.
 *
 * @param busyDrains  jail pipe drains reading a pipe: two per live jail
 * @param idleDrains  jail pipe drains waiting for work in their cached pool (60 s keep-alive)
 * @param busyReapers the JDK's {@code process reaper} threads waiting for a child: one per live child process
 * @param idleReapers reapers waiting for work in the JDK's cached pool (60 s keep-alive)
 * @param carriers    the virtual-thread scheduler's carriers, which it adds while a virtual thread blocks in a file
 *                    read and retires after 30 s idle
 * @param jvm         the JVM's own GC and JIT compiler threads, which it starts lazily up to its ergonomic counts
 * @param others      every other thread, by name: a fixed set once the service has served a run
 */
record ThreadCensus(int busyDrains, int idleDrains, int busyReapers, int idleReapers, int carriers, int jvm,
                    Map<String, Integer> others) {
    /** {@code Jails}' drain threads are {@code sandpod-jail-pipe-N}; the kernel keeps 15 bytes of a name. */
    static final String DRAIN = "sandpod-jail-pi";
    static final String REAPER = "process reaper";
    /** The scheduler's pool is {@code ForkJoinPool-N-worker-M}; the common pool's is {@code ForkJoinPool.commonPool-...}. */
    private static final String CARRIER = "ForkJoinPool-";
    private static final List<String> JVM = List.of("GC Thread#", "G1 ", "C1 CompilerThre", "C2 CompilerThre");

    static ThreadCensus of(long pid) throws IOException {
        int busyDrains = 0;
        int idleDrains = 0;
        int busyReapers = 0;
        int idleReapers = 0;
        int carriers = 0;
        int jvm = 0;
        Map<String, Integer> others = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String name;
                String sleepsIn;
                try {
                    name = Files.readString(task.resolve("comm")).strip();
                    sleepsIn = Files.readString(task.resolve("wchan")).strip();
                } catch (IOException exited) {
                    continue;
                }
                if (name.equals(DRAIN)) {
                    if (sleepsIn.contains("pipe")) {
                        busyDrains++;
                    } else {
                        idleDrains++;
                    }
                } else if (name.equals(REAPER)) {
                    if (sleepsIn.equals("do_wait")) {
                        busyReapers++;
                    } else {
                        idleReapers++;
                    }
                } else if (name.startsWith(CARRIER)) {
                    carriers++;
                } else if (JVM.stream().anyMatch(name::startsWith)) {
                    jvm++;
                } else {
                    others.merge(name, 1, Integer::sum);
                }
            }
        }
        return new ThreadCensus(busyDrains, idleDrains, busyReapers, idleReapers, carriers, jvm, others);
    }

    int total() {
        return busyDrains + idleDrains + busyReapers + idleReapers + carriers + jvm
                + others.values().stream().mapToInt(Integer::intValue).sum();
    }
}
