package dev.sandpod.attacks;

import java.util.List;

import dev.sandpod.run.RunFile;

import static dev.sandpod.attacks.Attack.program;
import static dev.sandpod.attacks.Expect.everyLineDenied;
import static dev.sandpod.attacks.Expect.finished;
import static dev.sandpod.attacks.Expect.refused;
import static dev.sandpod.attacks.Expect.stdoutMatches;
import static dev.sandpod.attacks.Fixture.CANARY_DIR;
import static dev.sandpod.attacks.Fixture.CANARY_FILE;
import static dev.sandpod.attacks.Surface.FILESYSTEM;

/**
 * Programs that try to change the host's files or trick the host into touching them. Write attempts open for
 * writing but never write, so that a broken jail is reported without wrecking the machine that runs the suite.
 */
final class FilesystemAttacks {
    private static final String[] READ_ONLY = {"EROFS", "EACCES", "EPERM", "ETXTBSY"};

    private FilesystemAttacks() {
    }

    static List<Attack> all() {
        return List.of(
                program(FILESYSTEM, "writes into /usr", tryEach("""
                        "create /usr/sandpod-pwned": lambda: os.open("/usr/sandpod-pwned", os.O_CREAT | os.O_WRONLY),
                        "mkdir /usr/lib/sandpod-pwned": lambda: os.mkdir("/usr/lib/sandpod-pwned"),
                        "chmod /usr/bin": lambda: os.chmod("/usr/bin", 0o777),
                        "rename /usr/share": lambda: os.rename("/usr/share", "/usr/share-pwned"),
                        "touch /usr/bin/env": lambda: os.utime("/usr/bin/env"),
                        """)).expecting(everyLineDenied(READ_ONLY)),
                program(FILESYSTEM, "overwrites the interpreter", tryEach("""
                        "open for writing": lambda: os.open(os.path.realpath(sys.executable), os.O_WRONLY),
                        "chmod": lambda: os.chmod(os.path.realpath(sys.executable), 0o777),
                        "unlink": lambda: os.unlink(os.path.realpath(sys.executable)),
                        "touch": lambda: os.utime(os.path.realpath(sys.executable)),
                        """)).expecting(everyLineDenied(READ_ONLY)),
                program(FILESYSTEM, "plants code in os.py, sitecustomize and __pycache__", tryEach("""
                        "append to os.py": lambda: os.open(os.__file__, os.O_WRONLY | os.O_APPEND),
                        "sitecustomize": lambda: os.open("/usr/lib/python3/dist-packages/sitecustomize.py",
                                                         os.O_CREAT | os.O_WRONLY),
                        "usercustomize": lambda: os.open(os.path.join(os.path.dirname(os.__file__),
                                                                      "usercustomize.py"), os.O_CREAT | os.O_WRONLY),
                        "__pycache__": lambda: os.open(os.path.join(os.path.dirname(os.__file__), "__pycache__",
                                                                    "os.cpython-311.pyc"), os.O_WRONLY),
                        """)).expecting(everyLineDenied(READ_ONLY)),
                program(FILESYSTEM, "writes /proc/self/exe, the runner's memory and kernel settings", tryEach("""
                        "/proc/self/exe": lambda: os.open("/proc/self/exe", os.O_WRONLY),
                        "/proc/1/exe": lambda: os.open("/proc/1/exe", os.O_WRONLY),
                        "/proc/1/mem": lambda: os.open("/proc/1/mem", os.O_WRONLY),
                        "/proc/sys/kernel/core_pattern": lambda: os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY),
                        "/proc/sysrq-trigger": lambda: os.open("/proc/sysrq-trigger", os.O_WRONLY),
                        "/proc/sys/vm/drop_caches": lambda: os.open("/proc/sys/vm/drop_caches", os.O_WRONLY),
                        """)).expecting(everyLineDenied("EROFS", "EACCES", "EPERM", "ETXTBSY", "ENOENT")),
                program(FILESYSTEM, "plants symlinks to a host file under every name the host might touch", """
                        import os, sys
                        canary, canary_dir = sys.argv[1], sys.argv[2]
                        names = ["main.py", "job.json", "job", "result.json", "result", "runner.py", "stdout",
                                 "stderr", "output", "input", "cgroup.procs", "tasks", "memory.max", "core", "hostdir"]
                        planted = 0
                        for where in (".", "/tmp", "/dev/shm"):
                            for name in names:
                                path = os.path.join(where, name)
                                if os.path.lexists(path):
                                    os.unlink(path)
                                os.symlink(canary_dir if name == "hostdir" else canary, path)
                                planted += 1
                        os.makedirs("deep/" * 100)
                        os.symlink(canary_dir, "deep/" * 100 + "up")
                        os.chmod("deep", 0)
                        print("planted", planted + 1)
                        """).args(CANARY_FILE, CANARY_DIR).expecting(finished().and(stdoutMatches("planted 46\n"))),
                program(FILESYSTEM, "hard links to host files", """
                        import errno, os, sys
                        for target in (os.path.realpath(sys.executable), os.__file__, "/proc/self/exe",
                                       "/dev/null", "/proc/1/environ", sys.argv[1]):
                            try:
                                os.link(target, "link-" + os.path.basename(target))
                                print(f"{target}: LINKED")
                            except OSError as e:
                                print(f"{target}: {errno.errorcode[e.errno]}")
                        """).args(CANARY_FILE).expecting(everyLineDenied("EXDEV", "EPERM", "EACCES", "ENOENT")),
                program(FILESYSTEM, "device nodes: mknod and the host's disks, memory and kernel devices", """
                        import errno, os
                        try:
                            os.mknod("mem", 0o600 | 0o020000, os.makedev(1, 1))
                            print("mknod /dev/mem: MADE")
                        except OSError as e:
                            print("mknod /dev/mem:", errno.errorcode[e.errno])
                        for path in ("/dev/mem", "/dev/kmem", "/dev/port", "/dev/vda", "/dev/sda", "/dev/nvme0n1",
                                     "/dev/kvm", "/dev/vsock", "/dev/fuse", "/dev/net/tun", "/dev/mapper/control",
                                     "/dev/kmsg", "/dev/cpu/0/msr"):
                            try:
                                os.close(os.open(path, os.O_RDONLY))
                                print(f"{path}: OPENED")
                            except OSError as e:
                                print(f"{path}: {errno.errorcode[e.errno]}")
                        """).expecting(everyLineDenied("EPERM", "ENOENT", "EACCES")),
                program(FILESYSTEM, "a file path with .. is refused before any sandbox exists", "print('never')\n")
                        .files(new RunFile("../../etc/cron.d/sandpod", "* * * * * root id", "utf8"))
                        .expecting(refused(400, "..")),
                program(FILESYSTEM, "an absolute file path is refused before any sandbox exists", "print('never')\n")
                        .files(new RunFile("/etc/cron.d/sandpod", "* * * * * root id", "utf8"))
                        .expecting(refused(400, "relative path")));
    }

    /** Runs each labelled attempt (a Python dict entry of label and lambda) and prints how it ended. */
    private static String tryEach(String attempts) {
        return """
                import errno, os, sys
                ATTEMPTS = {
                ENTRIES}
                for label, attempt in ATTEMPTS.items():
                    try:
                        attempt()
                        print(f"{label}: DONE")
                    except OSError as e:
                        print(f"{label}: {errno.errorcode[e.errno]}")
                """.replace("ENTRIES", attempts.indent(4));
    }
}
