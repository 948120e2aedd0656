package dev.sandpod.attacks;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.sandpod.attacks.Attack.program;
import static dev.sandpod.attacks.Expect.everyLineDenied;
import static dev.sandpod.attacks.Expect.finished;
import static dev.sandpod.attacks.Expect.stdout;
import static dev.sandpod.attacks.Expect.stdoutMatches;
import static dev.sandpod.attacks.Fixture.SERVICE_PID;
import static dev.sandpod.attacks.Fixture.SLEEPER_PID;
import static dev.sandpod.attacks.Surface.HOST_VIEW;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Programs that look for the host's secrets and processes: files, environment, tokens, /proc, signals. */
final class HostViewAttacks {
    /** The variables a runner may set for the program; anything else in its environment came from somewhere. */
    private static final Set<String> PROGRAM_ENVIRONMENT = Set.of("PATH", "HOME", "TMPDIR", "PWD", "LANG", "LC_ALL",
            "LC_CTYPE", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
            "PYTHONHASHSEED");
    /** Host values too short or too common to mean a leak when they show up in a program's output. */
    private static final int SHORTEST_SECRET = 8;
    private static final String ZERO_CAPS = "0000000000000000";

    private HostViewAttacks() {
    }

    static List<Attack> all() {
        return List.of(
                program(HOST_VIEW, "reads /etc/shadow and host keys", readEach("/etc/shadow", "/etc/gshadow",
                        "/etc/sudoers", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key",
                        "/root/.ssh/id_rsa", "/root/.bash_history", "/proc/kcore"))
                        .expecting(everyLineDenied("FileNotFoundError", "PermissionError")),
                program(HOST_VIEW, "reads the service-account token", readEach(
                        "/var/run/secrets/kubernetes.io/serviceaccount/token",
                        "/run/secrets/kubernetes.io/serviceaccount/token",
                        "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                        "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
                        "/root/.kube/config", "/etc/kubernetes/admin.conf"))
                        .expecting(everyLineDenied("FileNotFoundError", "PermissionError")),
                program(HOST_VIEW, "lists /root, /home and the host's other trees", """
                        import os
                        for path in ("/root", "/home", "/var/lib", "/opt", "/srv", "/mnt", "/media", "/boot",
                                     "/run", "/var/run", "/etc/kubernetes"):
                            try:
                                entries = os.listdir(path)
                                print(f"{path}: {'EMPTY' if not entries else 'LISTED ' + repr(entries)}")
                            except OSError as e:
                                print(f"{path}: {type(e).__name__}")
                        """).expecting(everyLineDenied("FileNotFoundError", "PermissionError", "EMPTY")),
                program(HOST_VIEW, "walks /sys", """
                        import os
                        for root, dirs, files in os.walk("/sys"):
                            for name in files:
                                print(os.path.join(root, name))
                        """).expecting(finished().and(stdoutMatches("(/sys/fs/cgroup/memory/memory.oom_control"
                        + "|/sys/fs/cgroup/memory.events)?\n?"))),
                program(HOST_VIEW, "dumps its environment", """
                        import os
                        for name, value in sorted(os.environ.items()):
                            print(f"{name}={value}")
                        """).expecting(finished().and(onlyProgramEnvironment()).and(noHostEnvironment())),
                program(HOST_VIEW, "reads the environ and cmdline of every visible process, /proc/1 first", """
                        import os
                        for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
                            for part in ("environ", "cmdline"):
                                try:
                                    print(pid, part, open(f"/proc/{pid}/{part}", "rb").read())
                                except OSError as e:
                                    print(pid, part, type(e).__name__)
                        """).expecting(finished().and(noHostEnvironment())),
                program(HOST_VIEW, "/proc shows only the jail's processes", """
                        import os, sys
                        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
                        names = set()
                        for pid in pids:
                            try:
                                names.add(open(f"/proc/{pid}/comm").read().strip())
                            except OSError:
                                names.add("?")
                        print(len(pids), max(pids), ",".join(sorted(names)), int(sys.argv[1]) in pids)
                        """).args(SLEEPER_PID).expecting(finished().and(onlyJailProcesses())),
                program(HOST_VIEW, "kills a host process and the service", """
                        import os, signal, sys
                        for label, pid in (("sleeper", sys.argv[1]), ("service", sys.argv[2])):
                            for sig in (signal.SIGKILL, signal.SIGSTOP):
                                try:
                                    os.kill(int(pid), sig)
                                    print(f"{sig.name} {label}: SENT")
                                except OSError as e:
                                    print(f"{sig.name} {label}: {type(e).__name__}")
                        """).args(SLEEPER_PID, SERVICE_PID).expecting(everyLineDenied("ProcessLookupError")),
                program(HOST_VIEW, "kill -1 reaches only the jail", """
                        import os, signal
                        try:
                            os.kill(-1, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        print("survived")
                        """).expecting(finished().and(stdout("survived\n"))),
                program(HOST_VIEW, "/proc/self/fd shows only stdin, stdout and stderr", """
                        import os
                        print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")))
                        """).expecting(finished().and(stdout("[0, 1, 2, 3]\n"))),
                program(HOST_VIEW, "/proc/self/status shows no capabilities, no new privileges and seccomp", """
                        import os
                        fields = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
                        for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"):
                            print(name, fields[name].strip())
                        print("uid", os.getuid(), os.geteuid(), "gid", os.getgid(), os.getegid())
                        """).expecting(finished().and(stdout(String.join("\n",
                        "CapInh " + ZERO_CAPS, "CapPrm " + ZERO_CAPS, "CapEff " + ZERO_CAPS, "CapBnd " + ZERO_CAPS,
                        "CapAmb " + ZERO_CAPS, "NoNewPrivs 1", "Seccomp 2", "uid 65534 65534 gid 65534 65534", "")))),
                program(HOST_VIEW, "reads kernel logs and kernel addresses", """
                        import ctypes, errno
                        libc = ctypes.CDLL(None, use_errno=True)
                        buf = ctypes.create_string_buffer(4096)
                        ok = libc.klogctl(3, buf, 4096)
                        print("syslog:", "READ" if ok >= 0 else errno.errorcode[ctypes.get_errno()])
                        try:
                            open("/dev/kmsg").read(1)
                            print("/dev/kmsg: READ")
                        except OSError as e:
                            print("/dev/kmsg:", type(e).__name__)
                        try:
                            nonzero = [l for l in open("/proc/kallsyms") if not l.startswith("0000000000000000")]
                            print("/proc/kallsyms:", "ADDRESSES" if nonzero else "ZEROED")
                        except OSError as e:
                            print("/proc/kallsyms:", type(e).__name__)
                        """).expecting(everyLineDenied("EPERM", "FileNotFoundError", "PermissionError", "ZEROED")));
    }

    /** Reads each path and prints {@code path: READABLE} or the error's type. */
    private static String readEach(String... paths) {
        return """
                for path in PATHS:
                    try:
                        open(path, "rb").read(1)
                        print(path + ": READABLE")
                    except OSError as e:
                        print(path + ":", type(e).__name__)
                """.replace("PATHS", "(" + String.join(", ", List.of(paths).stream()
                .map(path -> "\"" + path + "\"").toList()) + ",)");
    }

    private static Expectation onlyProgramEnvironment() {
        return answer -> answer.stdout().lines().map(line -> line.substring(0, Math.max(0, line.indexOf('='))))
                .forEach(name -> assertTrue(PROGRAM_ENVIRONMENT.contains(name),
                        () -> "the program's environment holds " + name + ", which no runner sets: "
                                + answer.describe()));
    }

    /** No value of the service's own environment shows up in what the program printed. */
    private static Expectation noHostEnvironment() {
        return answer -> {
            for (Map.Entry<String, String> variable : System.getenv().entrySet()) {
                String value = variable.getValue();
                if (value.length() >= SHORTEST_SECRET && !variable.getKey().equals("PATH")) {
                    assertFalse(answer.output().contains(value), () -> "the host's " + variable.getKey()
                            + " leaked into the run: " + answer.describe());
                }
            }
        };
    }

    /** A handful of low pids, all of them the jail's own interpreters, and never the host's sleeper. */
    private static Expectation onlyJailProcesses() {
        return stdoutMatches("[1-4] [1-9][0-9]? (bwrap,)?python3 False\n");
    }
}
