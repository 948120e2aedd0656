package dev.sandpod.attacks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the host must look like between runs, compared with a baseline taken once the service had warmed up:
 * <ul>
 *   <li>no process of ours but the warm pool's idle jails: among the service's descendants, and among all processes
 *       running as one of the jails' host uids;</li>
 *   <li>no run cgroup but the idle jails' under the configured parent, each holding only its jail;</li>
 *   <li>the same mounts, no job directory left in the backend's state directory, nothing new in /dev/shm;</li>
 *   <li>the service's own threads and open fds back near the baseline.</li>
 * </ul>
 * The host settles asynchronously (a jail's teardown, the pool's refill), so {@link #assertSettled} polls, within a
 * bound, until every check holds, and then reports every check that still fails.
 */
final class HostInvariants {
    /** Growth of the service's threads and fds tolerated after a run: the pool's pipes and carrier threads vary. */
    private static final int THREAD_SLACK = 8;
    private static final int FD_SLACK = 12;
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Set<String> STATE_FILES = Set.of("seccomp.bpf", "runner.py");
    /** The name the local backend's shell wrapper runs under, before it execs bubblewrap. */
    private static final String JAIL_WRAPPER = "sandpod-jail";

    /**
     * Where the service under test keeps its things.
     *
     * @param poolSize       idle jails the pool may hold
     * @param hostUidMin     first host uid a jail may run as
     * @param hostUidMax     last one
     * @param cgroupParents  the directories the run cgroups are made in, one per controller hierarchy
     * @param stateDir       the backend's private directory of seccomp program, runner and cold jobs, or null
     */
    record Scope(int poolSize, int hostUidMin, int hostUidMax, List<Path> cgroupParents, Path stateDir) {
    }

    private final Backend backend;
    private final Scope scope;
    private final long self = ProcessHandle.current().pid();
    private final Set<Long> baselineDescendants;
    private Set<String> baselineMounts;
    private Set<String> baselineShm;
    private final int baselineThreads;
    private final int baselineFds;

    private HostInvariants(Backend backend) throws IOException {
        this.backend = backend;
        this.scope = backend.scope();
        this.baselineDescendants = nonJailDescendants(ProcessTable.read(), self);
        this.baselineMounts = mounts();
        this.baselineShm = names(Path.of("/dev/shm"));
        this.baselineThreads = count(Path.of("/proc/self/task"));
        this.baselineFds = count(Path.of("/proc/self/fd"));
    }

    /** Takes the baseline now; call it once the service has served a few runs and its pool is full. */
    static HostInvariants baseline(Backend backend) throws IOException {
        return new HostInvariants(backend);
    }

    /**
     * Takes the mounts and /dev/shm afresh before each attack: they are the whole host's, not the service's, so
     * anything else on the machine may change them between attacks; during one attack, only the attack should.
     */
    void beforeAttack() throws IOException {
        baselineMounts = mounts();
        baselineShm = names(Path.of("/dev/shm"));
    }

    /** Waits up to {@code timeout} for the host to settle, then fails with every check that still fails. */
    void assertSettled(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> problems = problems();
        while (!problems.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(POLL.toNanos());
            problems = problems();
        }
        if (!problems.isEmpty()) {
            fail("the host did not settle within " + timeout + ":\n  " + String.join("\n  ", problems));
        }
    }

    /** After the service closed: no jail, no cgroup parent and no state directory are left. */
    void assertAllGone(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> problems = leftoversAfterClose();
        while (!problems.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(POLL.toNanos());
            problems = leftoversAfterClose();
        }
        if (!problems.isEmpty()) {
            fail("the closed service left:\n  " + String.join("\n  ", problems));
        }
    }

    private List<String> problems() {
        List<String> problems = new ArrayList<>(backend.leftovers());
        try {
            ProcessTable table = ProcessTable.read();
            Set<Long> idle = idleJailProcesses(table, problems);
            processProblems(table, idle, problems);
            cgroupProblems(idle, problems);
            if (!mounts().equals(baselineMounts)) {
                problems.add("mounts changed: " + difference(baselineMounts, mounts()));
            }
            if (scope.stateDir() != null && !names(scope.stateDir()).equals(STATE_FILES)) {
                problems.add("the state directory holds " + names(scope.stateDir()) + ", expected only " + STATE_FILES);
            }
            Set<String> shm = names(Path.of("/dev/shm"));
            if (!shm.equals(baselineShm)) {
                problems.add("/dev/shm changed: " + difference(baselineShm, shm));
            }
            int threads = count(Path.of("/proc/self/task"));
            if (threads > baselineThreads + THREAD_SLACK) {
                problems.add("the service has " + threads + " threads, " + baselineThreads + " at the baseline");
            }
            int fds = count(Path.of("/proc/self/fd"));
            if (fds > baselineFds + FD_SLACK) {
                problems.add("the service has " + fds + " open fds, " + baselineFds + " at the baseline");
            }
        } catch (IOException e) {
            problems.add("cannot read the host's state: " + e);
        }
        return problems;
    }

    /**
     * The processes of the pool's idle jails: subtrees under the service made of bubblewrap and one runner waiting
     * for its job on stdin. A subtree of any other shape is a leftover, and so is a pool grown past its size.
     */
    private Set<Long> idleJailProcesses(ProcessTable table, List<String> problems) {
        Set<Long> idle = new HashSet<>();
        int idleJails = 0;
        for (ProcessTable.Proc child : table.childrenOf(self)) {
            Set<Long> subtree = descendants(table, child.pid());
            subtree.add(child.pid());
            List<ProcessTable.Proc> members = subtree.stream().map(table::get).toList();
            long runners = members.stream().filter(HostInvariants::isWaitingRunner).count();
            boolean onlyJail = members.stream().allMatch(p -> p.state() != 'Z'
                    && (p.comm().equals("bwrap") || isWaitingRunner(p)));
            if (runners == 1 && onlyJail) {
                idle.addAll(subtree);
                idleJails++;
            }
        }
        if (idleJails > scope.poolSize()) {
            problems.add(idleJails + " idle jails, the pool holds at most " + scope.poolSize());
        }
        return idle;
    }

    /** bubblewrap's own command line holds the runner's too, so the runner is the one that is not bwrap. */
    private static boolean isWaitingRunner(ProcessTable.Proc proc) {
        return !proc.comm().equals("bwrap") && proc.cmdline().contains("runner.py --job-stdin");
    }

    private void processProblems(ProcessTable table, Set<Long> idle, List<String> problems) {
        for (long pid : descendants(table, self)) {
            if (!baselineDescendants.contains(pid) && !idle.contains(pid)) {
                problems.add("leftover process under the service: " + table.get(pid));
            }
        }
        for (ProcessTable.Proc proc : table.all()) {
            if (proc.uid() >= scope.hostUidMin() && proc.uid() <= scope.hostUidMax() && !idle.contains(proc.pid())) {
                problems.add("leftover process of a jail's host uid: " + proc);
            }
        }
    }

    private void cgroupProblems(Set<Long> idle, List<String> problems) throws IOException {
        for (Path parent : scope.cgroupParents()) {
            List<Path> children = directories(parent);
            if (children.size() > scope.poolSize()) {
                problems.add(parent + " holds " + children.size() + " run cgroups, the pool at most "
                        + scope.poolSize());
            }
            for (Path child : children) {
                List<Long> pids = Files.readAllLines(child.resolve("cgroup.procs")).stream()
                        .filter(line -> !line.isBlank()).map(Long::parseLong).toList();
                if (pids.isEmpty() || !idle.containsAll(pids)) {
                    problems.add("run cgroup left: " + child + " with processes " + pids);
                }
            }
        }
    }

    private List<String> leftoversAfterClose() {
        List<String> problems = new ArrayList<>();
        try {
            ProcessTable table = ProcessTable.read();
            for (long pid : descendants(table, self)) {
                if (!baselineDescendants.contains(pid)) {
                    problems.add("process under the service: " + table.get(pid));
                }
            }
            for (ProcessTable.Proc proc : table.all()) {
                if (proc.uid() >= scope.hostUidMin() && proc.uid() <= scope.hostUidMax()) {
                    problems.add("process of a jail's host uid: " + proc);
                }
            }
        } catch (IOException e) {
            problems.add("cannot read the process table: " + e);
        }
        for (Path parent : scope.cgroupParents()) {
            if (Files.exists(parent)) {
                problems.add("cgroup parent still exists: " + parent);
            }
        }
        if (scope.stateDir() != null && Files.exists(scope.stateDir())) {
            problems.add("state directory still exists: " + scope.stateDir());
        }
        return problems;
    }

    /**
     * The service's descendants that are not jails: the test's own fixtures. Jails are left out even when they are
     * the pool's, so that a jail of the baseline that outlives its run is still a leftover.
     */
    private static Set<Long> nonJailDescendants(ProcessTable table, long root) {
        Set<Long> found = descendants(table, root);
        for (ProcessTable.Proc child : table.childrenOf(root)) {
            if (child.comm().equals("bwrap") || child.cmdline().contains(JAIL_WRAPPER)) {
                found.remove(child.pid());
                found.removeAll(descendants(table, child.pid()));
            }
        }
        return found;
    }

    private static Set<Long> descendants(ProcessTable table, long root) {
        Set<Long> found = new LinkedHashSet<>();
        List<Long> frontier = new ArrayList<>(List.of(root));
        while (!frontier.isEmpty()) {
            long pid = frontier.removeLast();
            for (ProcessTable.Proc child : table.childrenOf(pid)) {
                if (found.add(child.pid())) {
                    frontier.add(child.pid());
                }
            }
        }
        return found;
    }

    private static Set<String> mounts() throws IOException {
        return new HashSet<>(Files.readAllLines(Path.of("/proc/self/mountinfo")));
    }

    private static Set<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return new TreeSet<>(entries.map(path -> path.getFileName().toString()).toList());
        }
    }

    private static List<Path> directories(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).toList();
        }
    }

    private static int count(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return (int) entries.count();
        }
    }

    private static String difference(Set<String> before, Set<String> after) {
        Set<String> added = new TreeSet<>(after);
        added.removeAll(before);
        Set<String> removed = new TreeSet<>(before);
        removed.removeAll(after);
        return "added " + added + ", removed " + removed;
    }

    /** A snapshot of /proc: every process with its parent, name, state, real uid and command line. */
    static final class ProcessTable {
        record Proc(long pid, long ppid, String comm, char state, long uid, String cmdline) {
        }

        private final Map<Long, Proc> byPid;
        private final Map<Long, List<Proc>> children = new HashMap<>();

        private ProcessTable(Map<Long, Proc> byPid) {
            this.byPid = byPid;
            byPid.values().forEach(proc -> children.computeIfAbsent(proc.ppid(), k -> new ArrayList<>()).add(proc));
        }

        static ProcessTable read() throws IOException {
            Map<Long, Proc> procs = new HashMap<>();
            try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
                for (Path dir : entries.filter(path -> path.getFileName().toString().matches("[0-9]+")).toList()) {
                    Proc proc = readOne(dir);
                    if (proc != null) {
                        procs.put(proc.pid(), proc);
                    }
                }
            }
            return new ProcessTable(procs);
        }

        /** One process, or null when it exited while being read. */
        private static Proc readOne(Path dir) {
            try {
                String stat = text(dir.resolve("stat"));
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String[] rest = stat.substring(close + 2).split(" ");
                long uid = -1;
                for (String line : text(dir.resolve("status")).split("\n")) {
                    if (line.startsWith("Uid:")) {
                        uid = Long.parseLong(line.split("\\s+")[1]);
                    }
                }
                String cmdline = text(dir.resolve("cmdline")).replace('\0', ' ').strip();
                return new Proc(Long.parseLong(stat.substring(0, open).strip()), Long.parseLong(rest[1]),
                        stat.substring(open + 1, close), rest[0].charAt(0), uid, cmdline);
            } catch (IOException | RuntimeException gone) {
                return null;
            }
        }

        /** Read leniently: a process may name itself with any bytes, and must not hide from the check that way. */
        private static String text(Path file) throws IOException {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        }

        Proc get(long pid) {
            return byPid.getOrDefault(pid, new Proc(pid, -1, "?", '?', -1, "(exited)"));
        }

        List<Proc> childrenOf(long pid) {
            return children.getOrDefault(pid, List.of());
        }

        Iterable<Proc> all() {
            return byPid.values();
        }
    }
}
