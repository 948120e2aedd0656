package dev.sandpod.local;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BwrapCommandTest {
    private static final Path PROCS_MEMORY = Path.of("/sys/fs/cgroup/memory/sandpod/jail-1/cgroup.procs");
    private static final Path PROCS_PIDS = Path.of("/sys/fs/cgroup/pids/sandpod/jail-1/cgroup.procs");
    private static final List<String> COMMAND = List.of("/usr/bin/python3", "-I", "-S", "/sandpod/runner.py");

    private static BwrapCommand.Spec spec(Integer hostUid, Path jobFile) {
        return spec(hostUid, jobFile, List.of());
    }

    private static BwrapCommand.Spec spec(Integer hostUid, Path jobFile, List<BwrapCommand.EtcLink> etcLinks) {
        return new BwrapCommand.Spec(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/setpriv"), hostUid, 65534, 65534,
                16 << 20, List.of(new BwrapCommand.RootEntry("lib", "usr/lib"), new BwrapCommand.RootEntry("bin", null)),
                etcLinks,
                List.of(PROCS_MEMORY, PROCS_PIDS),
                new BwrapCommand.OomCounter(Path.of("/sys/fs/cgroup/memory/sandpod/jail-1/memory.oom_control"),
                        "/sys/fs/cgroup/memory/memory.oom_control"),
                Path.of("/state/seccomp.bpf"), Path.of("/state/runner.py"), jobFile, COMMAND);
    }

    private static List<String> bwrapArgs(List<String> argv) {
        return argv.subList(argv.indexOf("/usr/bin/bwrap"), argv.indexOf("--"));
    }

    @Test
    @DisplayName("the wrapper gets the seccomp, runner and job files and every cgroup.procs file, in that order")
    void wrapperArguments() {
        List<String> argv = BwrapCommand.argv(spec(1900000007, Path.of("/state/job-1/job.json")));
        assertEquals(List.of("/bin/sh", "-c", BwrapCommand.WRAPPER, "sandpod-jail", "/state/seccomp.bpf",
                "/state/runner.py", "/state/job-1/job.json", "2", PROCS_MEMORY.toString(), PROCS_PIDS.toString()),
                argv.subList(0, 10));
    }

    @Test
    @DisplayName("as root, the jail switches to the leased host uid with no groups, caps or new privileges")
    void switchesToTheHostUid() {
        List<String> argv = BwrapCommand.argv(spec(1900000007, null));
        assertEquals(List.of("/usr/bin/setpriv", "--reuid", "1900000007", "--regid", "1900000007", "--clear-groups",
                "--inh-caps", "-all", "--bounding-set", "-all", "--no-new-privs", "/usr/bin/bwrap"),
                argv.subList(10, 22));
    }

    @Test
    void noUidSwitchWhenTheServiceIsUnprivileged() {
        List<String> argv = BwrapCommand.argv(spec(null, null));
        assertFalse(argv.contains("/usr/bin/setpriv"));
        assertEquals("/usr/bin/bwrap", argv.get(10));
    }

    @Test
    @DisplayName("the jail's /etc holds only symlinks to /usr, in directories its uid can enter; no /etc without links")
    void etcHoldsOnlySymlinksToUsr() {
        List<String> args = bwrapArgs(BwrapCommand.argv(spec(null, null, List.of(
                new BwrapCommand.EtcLink("alternatives/libblas.so.3-x86_64-linux-gnu", "/usr/lib/blas/libblas.so.3"),
                new BwrapCommand.EtcLink("matplotlibrc", "/usr/share/matplotlib/mpl-data/matplotlibrc")))));
        int etc = args.indexOf("/etc");
        assertEquals(List.of("--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", "/etc/alternatives",
                "--symlink", "/usr/lib/blas/libblas.so.3", "/etc/alternatives/libblas.so.3-x86_64-linux-gnu",
                "--symlink", "/usr/share/matplotlib/mpl-data/matplotlibrc", "/etc/matplotlibrc"),
                args.subList(etc - 3, etc + 11));
        assertFalse(bwrapArgs(BwrapCommand.argv(spec(null, null))).contains("/etc"));
    }

    @Test
    void rejectsEtcLinksOutsideUsrOrEtc() {
        assertThrows(IllegalArgumentException.class, () -> new BwrapCommand.EtcLink("shadow", "/etc/shadow"));
        assertThrows(IllegalArgumentException.class, () -> new BwrapCommand.EtcLink("x", "/usr/../etc/shadow"));
        assertThrows(IllegalArgumentException.class, () -> new BwrapCommand.EtcLink("../shadow", "/usr/lib/x"));
        assertThrows(IllegalArgumentException.class, () -> new BwrapCommand.EtcLink("ssl/private/key", "/usr/lib/x"));
    }

    @Test
    void rejectsRootAsHostUid() {
        assertThrows(IllegalArgumentException.class, () -> spec(0, null));
    }

    @Test
    @DisplayName("every namespace is new, user namespaces stay disabled inside, the runner is PID 1 without caps")
    void isolationFlags() {
        List<String> args = bwrapArgs(BwrapCommand.argv(spec(1900000007, null)));
        for (String flag : List.of("--unshare-all", "--unshare-user", "--unshare-cgroup", "--disable-userns",
                "--die-with-parent", "--new-session", "--as-pid-1", "--clearenv")) {
            assertTrue(args.contains(flag), flag);
        }
        assertFalse(args.contains("--share-net"));
        assertEquals("ALL", after(args, "--cap-drop"));
        assertEquals("65534", after(args, "--uid"));
        assertEquals("65534", after(args, "--gid"));
        assertEquals("sandpod", after(args, "--hostname"));
        assertEquals(Integer.toString(BwrapCommand.SECCOMP_FD), after(args, "--seccomp"));
    }

    @Test
    @DisplayName("the filesystem: /usr read-only, the root links, fresh /proc and /dev, sized tmpfs, nothing else of the host")
    void filesystem() {
        List<String> args = bwrapArgs(BwrapCommand.argv(spec(1900000007, null)));
        assertTrue(contains(args, "--ro-bind", "/usr", "/usr"));
        assertTrue(contains(args, "--symlink", "usr/lib", "/lib"));
        assertTrue(contains(args, "--ro-bind", "/bin", "/bin"));
        assertTrue(contains(args, "--proc", "/proc"));
        assertTrue(contains(args, "--dev", "/dev"));
        assertTrue(contains(args, "--size", "16777216", "--tmpfs", "/tmp"));
        assertTrue(contains(args, "--size", "16777216", "--tmpfs", "/dev/shm"));
        assertTrue(contains(args, "--remount-ro", "/dev", "--remount-ro", "/"), "read-only once everything is mounted");
        for (String hostPath : List.of("/etc", "/home", "/root", "/var", "/run", "/sys")) {
            assertFalse(args.stream().anyMatch(arg -> arg.equals(hostPath) || arg.startsWith(hostPath + "/")
                    && !arg.startsWith("/sys/fs/cgroup/")), hostPath);
        }
    }

    @Test
    @DisplayName("the OOM counter is the only host file bound in, read-only")
    void oomCounterBoundReadOnly() {
        List<String> args = bwrapArgs(BwrapCommand.argv(spec(1900000007, null)));
        assertTrue(contains(args, "--ro-bind", "/sys/fs/cgroup/memory/sandpod/jail-1/memory.oom_control",
                "/sys/fs/cgroup/memory/memory.oom_control"));
        assertFalse(args.contains("--bind"));
        assertFalse(args.contains("--dev-bind"));
    }

    @Test
    @DisplayName("the runner is copied in from fd 4; the job is never a file in the jail, only the runner's stdin")
    void jobIsStdinOnly() {
        List<String> coldArgv = BwrapCommand.argv(spec(1900000007, Path.of("/state/job-1/job.json")));
        assertTrue(BwrapCommand.WRAPPER.contains("exec 0<\"$job\""));
        assertEquals("/state/job-1/job.json", coldArgv.get(6));
        List<String> cold = bwrapArgs(coldArgv);
        assertTrue(contains(cold, "--ro-bind-data", "4", BwrapCommand.RUNNER_PATH));
        assertEquals(1, cold.stream().filter(arg -> arg.equals("--ro-bind-data")).count(), "the runner only");
        assertFalse(cold.stream().anyMatch(arg -> arg.contains("job")));
        assertEquals("", BwrapCommand.argv(spec(1900000007, null)).get(6), "warm: the service writes the stdin pipe");
    }

    @Test
    void environmentIsClearedThenMinimal() {
        List<String> args = bwrapArgs(BwrapCommand.argv(spec(1900000007, null)));
        assertTrue(args.indexOf("--clearenv") < args.indexOf("--setenv"));
        assertTrue(contains(args, "--setenv", "PATH", "/usr/bin:/bin"));
        assertTrue(contains(args, "--setenv", "HOME", "/tmp"));
    }

    @Test
    void commandComesLast() {
        List<String> argv = BwrapCommand.argv(spec(1900000007, null));
        assertEquals(COMMAND, argv.subList(argv.indexOf("--") + 1, argv.size()));
    }

    @Test
    void sameSpecSameArgv() {
        assertEquals(BwrapCommand.argv(spec(1900000007, null)), BwrapCommand.argv(spec(1900000007, null)));
    }

    private static String after(List<String> args, String flag) {
        return args.get(args.indexOf(flag) + 1);
    }

    private static boolean contains(List<String> args, String... sequence) {
        return Collections.indexOfSubList(args, List.of(sequence)) >= 0;
    }
}
