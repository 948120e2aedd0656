package dev.sandpod.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The command line that starts one jail (DESIGN §5), as a pure function of its {@link Spec}: no I/O, no randomness.
 *
 * <p>Three programs run in turn, each {@code exec}ing the next in the same process:
 * <ol>
 *   <li>{@code /bin/sh}, still with the service's rights, writes its own pid into the run's {@code cgroup.procs}
 *       files, so that everything the jail ever starts is inside the run's cgroups from its first instruction,
 *       opens the seccomp program and the runner as fds 3 and 4 (Java passes no fds but 0 to 2, and bubblewrap
 *       takes these inputs as fds), and on the cold path makes the job file its stdin;</li>
 *   <li>{@code setpriv}, only when the service is root, switches to the run's unprivileged host uid and gid with no
 *       groups, no capabilities and no-new-privs, so no jailed process is ever kuid 0;</li>
 *   <li>{@code bwrap} builds the jail and executes the command in it as PID 1.</li>
 * </ol>
 *
 * <p>The runner is copied into the jail ({@code --ro-bind-data}) instead of bound from a host path, so the jail's
 * {@code /proc/self/mountinfo} names no host file and the host never hands a path to the jail. The job is never a
 * file inside the jail at all: the runner reads it from stdin, cold (a host file opened by the wrapper) or warm (a
 * pipe), and the program, which shares the runner's uid, could read any file the runner can; in judge mode a job
 * file would hand it the expected outputs. The one host file bound in is the cgroup's OOM counter, read-only,
 * seen through the jail's own cgroup namespace.
 */
final class BwrapCommand {
    static final String RUNNER_PATH = "/sandpod/runner.pyc";
    static final String HOSTNAME = "sandpod";
    static final String SH = "/bin/sh";
    static final int SECCOMP_FD = 3;
    static final int RUNNER_FD = 4;
    /** Exit status of the wrapper when the jail could not enter its cgroup. */
    static final int EXIT_NO_CGROUP = 125;

    /**
     * {@code $1} seccomp file, {@code $2} runner file, {@code $3} job file for stdin or "", {@code $4} count of
     * cgroup.procs files that follow, then the command. A failed redirection ends a non-interactive sh, so a
     * missing input never starts a jail without it.
     */
    static final String WRAPPER = """
            seccomp=$1 runner=$2 job=$3 n=$4
            shift 4
            while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit %d; shift; n=$((n - 1)); done
            exec 3<"$seccomp" 4<"$runner"
            if [ -n "$job" ]; then exec 0<"$job"; fi
            exec "$@"
            """.formatted(EXIT_NO_CGROUP);

    private BwrapCommand() {
    }

    /**
     * A directory of the host root that the jail recreates: a symlink to {@code target} (merged-/usr systems, where
     * {@code /lib -> usr/lib}), or, with a null target, a read-only bind of the host directory.
     */
    record RootEntry(String name, String target) {
        RootEntry {
            if (!name.matches("[a-z0-9]+")) {
                throw new IllegalArgumentException("root entry must be a plain name: " + name);
            }
        }
    }

    /**
     * A symlink the jail makes in its own {@code /etc} (it has none of the host's) to a file under /usr, which it sees
     * anyway: a library that Debian links through {@code /etc/alternatives} ({@code libblas.so.3}, which numpy loads),
     * or a package's defaults that Debian reads from {@code /etc} ({@code matplotlibrc}).
     *
     * @param path relative to {@code /etc}: a file name, or {@code alternatives/} and a file name
     */
    record EtcLink(String path, String target) {
        EtcLink {
            if (!path.matches("(alternatives/)?[A-Za-z0-9_+-][A-Za-z0-9._+-]*")) {
                throw new IllegalArgumentException("an /etc link must be a file of /etc or /etc/alternatives: " + path);
            }
            if (!target.startsWith("/usr/") || target.contains("/../")) {
                throw new IllegalArgumentException("an /etc link must point under /usr: " + target);
            }
        }
    }

    /** The cgroup file the runner reads to tell an OOM kill from other kills, and where the jail sees it. */
    record OomCounter(Path hostFile, String jailPath) {
    }

    /**
     * One jail.
     *
     * @param hostUid    the unprivileged host uid (and gid) to switch to, or null to keep the service's own
     * @param tmpfsBytes size of each writable tmpfs ({@code /tmp} and {@code /dev/shm}); the memory cgroup counts it
     * @param jobFile    the job to give the runner as its stdin, or null when the service writes it to the stdin pipe
     * @param oomCounter the OOM counter to bind, or null when the cgroup has none
     * @param etcLinks   the only entries of the jail's {@code /etc}
     */
    record Spec(Path bwrap, Path setpriv, Integer hostUid, int sandboxUid, int sandboxGid, long tmpfsBytes,
                List<RootEntry> root, List<EtcLink> etcLinks, List<Path> cgroupProcs, OomCounter oomCounter, Path seccompFile,
                Path runnerFile, Path jobFile, List<String> command) {
        Spec {
            Objects.requireNonNull(bwrap, "bwrap");
            Objects.requireNonNull(seccompFile, "seccompFile");
            Objects.requireNonNull(runnerFile, "runnerFile");
            if (hostUid != null && hostUid <= 0) {
                throw new IllegalArgumentException("host uid must be unprivileged: " + hostUid);
            }
            if (hostUid != null) {
                Objects.requireNonNull(setpriv, "setpriv");
            }
            if (sandboxUid <= 0 || sandboxGid <= 0) {
                throw new IllegalArgumentException("sandbox uid/gid must not be root: " + sandboxUid + "/" + sandboxGid);
            }
            if (tmpfsBytes < 1) {
                throw new IllegalArgumentException("tmpfsBytes < 1: " + tmpfsBytes);
            }
            if (command.isEmpty()) {
                throw new IllegalArgumentException("empty command");
            }
            root = List.copyOf(root);
            etcLinks = List.copyOf(etcLinks);
            cgroupProcs = List.copyOf(cgroupProcs);
            command = List.copyOf(command);
        }
    }

    /** The full argv: the wrapper, the optional uid switch, bubblewrap and the command. */
    static List<String> argv(Spec spec) {
        List<String> argv = new ArrayList<>(List.of(SH, "-c", WRAPPER, "sandpod-jail",
                spec.seccompFile().toString(), spec.runnerFile().toString(),
                spec.jobFile() == null ? "" : spec.jobFile().toString(),
                Integer.toString(spec.cgroupProcs().size())));
        spec.cgroupProcs().forEach(procs -> argv.add(procs.toString()));
        if (spec.hostUid() != null) {
            String id = spec.hostUid().toString();
            argv.addAll(List.of(spec.setpriv().toString(), "--reuid", id, "--regid", id, "--clear-groups",
                    "--inh-caps", "-all", "--bounding-set", "-all", "--no-new-privs"));
        }
        argv.addAll(bwrap(spec));
        return argv;
    }

    private static List<String> bwrap(Spec spec) {
        String size = Long.toString(spec.tmpfsBytes());
        List<String> args = new ArrayList<>(List.of(spec.bwrap().toString(),
                "--unshare-all", "--unshare-user", "--unshare-cgroup", "--disable-userns",
                "--uid", Integer.toString(spec.sandboxUid()), "--gid", Integer.toString(spec.sandboxGid()),
                "--die-with-parent", "--new-session", "--as-pid-1", "--cap-drop", "ALL",
                "--hostname", HOSTNAME,
                "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                "--setenv", "LANG", "C.UTF-8",
                "--seccomp", Integer.toString(SECCOMP_FD),
                "--ro-bind", "/usr", "/usr"));
        for (RootEntry entry : spec.root()) {
            String path = "/" + entry.name();
            if (entry.target() == null) {
                args.addAll(List.of("--ro-bind", path, path));
            } else {
                args.addAll(List.of("--symlink", entry.target(), path));
            }
        }
        if (!spec.etcLinks().isEmpty()) {
            // bubblewrap would make the parents 0700, which the jail's uid could not enter
            args.addAll(List.of("--perms", "0755", "--dir", "/etc"));
            if (spec.etcLinks().stream().anyMatch(link -> link.path().startsWith("alternatives/"))) {
                args.addAll(List.of("--perms", "0755", "--dir", "/etc/alternatives"));
            }
            spec.etcLinks().forEach(link -> args.addAll(List.of("--symlink", link.target(), "/etc/" + link.path())));
        }
        args.addAll(List.of("--proc", "/proc", "--dev", "/dev",
                "--size", size, "--tmpfs", "/dev/shm",
                "--size", size, "--tmpfs", "/tmp",
                "--perms", "0444", "--ro-bind-data", Integer.toString(RUNNER_FD), RUNNER_PATH));
        if (spec.oomCounter() != null) {
            args.addAll(List.of("--ro-bind", spec.oomCounter().hostFile().toString(), spec.oomCounter().jailPath()));
        }
        args.addAll(List.of("--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--"));
        args.addAll(spec.command());
        return args;
    }
}
