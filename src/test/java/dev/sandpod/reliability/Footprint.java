package dev.sandpod.reliability;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a service process with the local backend holds on the host, read from outside it: its open fds by kind, its
 * threads, its descendants, the processes running as its jails' host uids, the run cgroups under its cgroup parent,
 * the mounts it and the host see, and its state directory.
 *
 * @param fds              open fds by kind ({@code pipe}, {@code socket}, {@code anon_inode}, {@code file})
 * @param descendants      its child processes and theirs
 * @param hostUidProcesses processes of any parent whose real uid lies in the jails' host uid range
 * @param runCgroups       each cgroup parent directory (one per hierarchy) to the run cgroups in it
 * @param serviceMounts    the lines of the service's {@code /proc/PID/mountinfo}
 * @param hostMounts       the lines of this (host) process's {@code /proc/self/mountinfo}
 * @param stateDirs        the local backend's state directories of this process in the temp directory
 * @param stateFiles       what they hold: the seccomp program, the runner, and one {@code job-*} per cold run in flight
 */
record Footprint(Map<String, Integer> fds, ThreadCensus threads, int descendants, int hostUidProcesses,
                 Map<Path, Integer> runCgroups, Set<String> serviceMounts, Set<String> hostMounts, int stateDirs,
                 Set<String> stateFiles) {
    /**
     * Where one service keeps its things.
     *
     * @param cgroupParents the directories named after its cgroup parent (see {@link #cgroupParents})
     */
    record Scope(long pid, int hostUidMin, int hostUidMax, List<Path> cgroupParents, Path tmp) {
    }

    static Footprint of(Scope scope) throws IOException {
        Path proc = Path.of("/proc", Long.toString(scope.pid()));
        Map<Path, Integer> cgroups = new LinkedHashMap<>();
        for (Path parent : scope.cgroupParents()) {
            cgroups.put(parent, Files.isDirectory(parent) ? runCgroupsIn(parent) : -1);
        }
        List<Path> stateDirs = stateDirs(scope);
        Set<String> stateFiles = new TreeSet<>();
        for (Path dir : stateDirs) {
            stateFiles.addAll(names(dir));
        }
        return new Footprint(fds(proc.resolve("fd")), ThreadCensus.of(scope.pid()),
                ProcessHandle.of(scope.pid()).map(service -> (int) service.descendants().count()).orElse(-1),
                hostUidProcesses(scope).size(), cgroups, lines(proc.resolve("mountinfo")),
                lines(Path.of("/proc/self/mountinfo")), stateDirs.size(), stateFiles);
    }

    /**
     * The cgroup parent's directories: {@code dev.sandpod.local.Cgroups} makes one per hierarchy that holds a controller
     * the jails use, below the service's own cgroup in it (v1: memory, pids, cpu and cpuacct, or fewer where controllers
     * are co-mounted; v2: one in the unified hierarchy). Found by their name, which the test makes unique, anywhere in
     * {@code /sys/fs/cgroup}, so that this does not repeat the layout code it checks.
     */
    static List<Path> cgroupParents(String name) throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(Path.of("/sys/fs/cgroup"), Set.of(), 8, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.getFileName() != null && dir.getFileName().toString().equals(name)) {
                    found.add(dir);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // another process's cgroup went away while this walked
            }
        });
        return found;
    }

    /** The counts, not the mount lines. */
    @Override
    public String toString() {
        return "fds " + fds + ", threads " + threads + ", descendants " + descendants + ", host-uid processes "
                + hostUidProcesses + ", run cgroups " + runCgroups + ", service mounts " + serviceMounts.size()
                + ", host mounts " + hostMounts.size() + ", state dirs " + stateDirs + " holding " + stateFiles;
    }

    int totalFds() {
        return fds.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The job directories in the state directory: one per cold run in flight, none at rest. */
    long jobDirs() {
        return stateFiles.stream().filter(name -> name.startsWith("job-")).count();
    }

    private static Map<String, Integer> fds(Path fdDir) throws IOException {
        Map<String, Integer> kinds = new TreeMap<>();
        try (Stream<Path> fds = Files.list(fdDir)) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException closed) {
                    continue;
                }
                int colon = target.indexOf(':');
                kinds.merge(target.startsWith("/") || colon < 0 ? "file" : target.substring(0, colon), 1, Integer::sum);
            }
        }
        return kinds;
    }

    /**
     * The processes whose real uid is one of the jails' host uids, each as its pid, state and name; the uid is read
     * from the status, since a non-dumpable process's /proc directory is owned by root.
     */
    static List<String> hostUidProcesses(Scope scope) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path dir : entries.filter(path -> path.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    Map<String, String> status = new LinkedHashMap<>();
                    for (String line : Files.readAllLines(dir.resolve("status"))) {
                        int colon = line.indexOf(':');
                        status.put(line.substring(0, colon), line.substring(colon + 1).strip());
                    }
                    long uid = Long.parseLong(status.get("Uid").split("\\s+")[0]);
                    if (uid >= scope.hostUidMin() && uid <= scope.hostUidMax()) {
                        found.add(dir.getFileName() + " " + status.get("State") + " " + status.get("Name"));
                    }
                } catch (IOException | RuntimeException exited) {
                    // gone while read
                }
            }
        }
        return found;
    }

    private static int runCgroupsIn(Path parent) throws IOException {
        try (Stream<Path> entries = Files.list(parent)) {
            return (int) entries.filter(Files::isDirectory).count();
        }
    }

    /** {@code Jails} names its state directory {@code sandpod-local-PID-*} after the service's pid. */
    private static List<Path> stateDirs(Scope scope) throws IOException {
        String prefix = "sandpod-local-" + scope.pid() + "-";
        try (Stream<Path> entries = Files.list(scope.tmp())) {
            return entries.filter(path -> path.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return new TreeSet<>(entries.map(path -> path.getFileName().toString()).toList());
        }
    }

    private static Set<String> lines(Path file) throws IOException {
        return new TreeSet<>(Files.readAllLines(file));
    }
}
