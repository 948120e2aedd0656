package dev.sandpod.attacks;

import java.util.List;

import static dev.sandpod.attacks.Attack.program;
import static dev.sandpod.attacks.Expect.everyLineDenied;
import static dev.sandpod.attacks.Expect.syscallDenied;
import static dev.sandpod.attacks.Surface.KERNEL;

/**
 * Programs that reach for the kernel's large and often-exploited interfaces through {@code ctypes} and raw
 * {@code syscall()}. Each passes arguments that would succeed on an unfiltered kernel, so a failure means the jail
 * refused, not that the call was malformed.
 */
final class KernelAttacks {
    /** Refused by the seccomp filter, by missing capabilities, or absent from this kernel. */
    private static final String[] REFUSED = {"EPERM", "EACCES", "ENOSYS"};
    /** The one call per program: {@code call(nr, *args)} returns the result and the errno's name. */
    private static final String PRELUDE = """
            import ctypes, errno, os, struct
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            def call(nr, *args):
                ctypes.set_errno(0)
                result = libc.syscall(ctypes.c_long(nr), *(ctypes.c_long(a) if isinstance(a, int) else a for a in args))
                return result, errno.errorcode.get(ctypes.get_errno(), "OK")
            def report(label, result, error):
                print(f"{label}:", "SUCCEEDED" if result >= 0 else error)
            ANY = 0xffffffffffffffff
            """;

    private KernelAttacks() {
    }

    static List<Attack> all() {
        return List.of(
                probe("unshare(CLONE_NEWUSER)", "report(LABEL, *call(272, 0x10000000))"),
                probe("unshare(CLONE_NEWNS | CLONE_NEWNET)", "report(LABEL, *call(272, 0x00020000 | 0x40000000))"),
                probe("clone3", """
                        args = ctypes.create_string_buffer(88)
                        result, error = call(435, ctypes.addressof(args), 88)
                        if result == 0:
                            os._exit(0)
                        report(LABEL, result, error)
                        """),
                probe("mount tmpfs", """
                        report(LABEL, *call(165, b"none", b"/tmp", b"tmpfs", 0, 0))
                        """),
                probe("ptrace(PTRACE_TRACEME)", "report(LABEL, *call(101, 0, 0, 0, 0))"),
                probe("ptrace(PTRACE_ATTACH) on the runner", "report(LABEL, *call(101, 16, 1, 0, 0))"),
                probe("bpf(BPF_MAP_CREATE)", """
                        attr = ctypes.create_string_buffer(128)
                        struct.pack_into("IIII", attr, 0, 2, 4, 4, 1)
                        report(LABEL, *call(321, 0, ctypes.addressof(attr), 128))
                        """),
                probe("keyctl(KEYCTL_GET_KEYRING_ID)", "report(LABEL, *call(250, 0, -3 & ANY, 1))"),
                probe("add_key", """
                        report(LABEL, *call(248, b"user", b"sandpod", b"secret", 6, -3 & ANY))
                        """),
                probe("perf_event_open", """
                        attr = ctypes.create_string_buffer(128)
                        struct.pack_into("IIQ", attr, 0, 1, 128, 0)
                        struct.pack_into("Q", attr, 40, (1 << 5) | (1 << 6))
                        report(LABEL, *call(298, ctypes.addressof(attr), 0, -1 & ANY, -1 & ANY, 0))
                        """),
                probe("userfaultfd(UFFD_USER_MODE_ONLY)", "report(LABEL, *call(323, 1))"),
                probe("io_uring_setup", """
                        params = ctypes.create_string_buffer(120)
                        report(LABEL, *call(425, 1, ctypes.addressof(params)))
                        """),
                probe("x32 ABI getpid", "report(LABEL, *call(0x40000000 | 39))"),
                probe("open_by_handle_at (Shocker)", """
                        handle = ctypes.create_string_buffer(8 + 128)
                        struct.pack_into("Ii", handle, 0, 8, 1)
                        report(LABEL, *call(304, -100 & ANY, ctypes.addressof(handle), 0))
                        """),
                probe("init_module", "report(LABEL, *call(175, 0, 0, b\"\"))"),
                probe("sethostname", "report(LABEL, *call(170, b\"pwned\", 5))"),
                probe("clock_settime(CLOCK_REALTIME)", """
                        now = ctypes.create_string_buffer(16)
                        struct.pack_into("qq", now, 0, 0, 0)
                        report(LABEL, *call(227, 0, ctypes.addressof(now)))
                        """),
                program(KERNEL, "setuid(0) and friends", """
                        import errno, os
                        for label, attempt in (("setuid(0)", lambda: os.setuid(0)), ("setgid(0)", lambda: os.setgid(0)),
                                               ("seteuid(0)", lambda: os.seteuid(0)),
                                               ("setgroups([0])", lambda: os.setgroups([0]))):
                            try:
                                attempt()
                                print(f"{label}: SUCCEEDED")
                            except OSError as e:
                                print(f"{label}: {errno.errorcode[e.errno]}")
                        """).expecting(everyLineDenied("EPERM", "EINVAL")),
                program(KERNEL, "nice(-10) and real-time scheduling", """
                        import os
                        for label, attempt in (("nice(-10)", lambda: os.nice(-10)),
                                               ("SCHED_FIFO", lambda: os.sched_setscheduler(0, os.SCHED_FIFO,
                                                                                           os.sched_param(50)))):
                            try:
                                attempt()
                                print(f"{label}: SUCCEEDED")
                            except PermissionError as e:
                                print(f"{label}: {'EPERM' if e.errno == 1 else 'EACCES'}")
                        """).expecting(everyLineDenied("EPERM", "EACCES")),
                program(KERNEL, "raises its rlimits past the runner's hard limits", """
                        import resource
                        for name in ("RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_NPROC"):
                            limit = getattr(resource, name)
                            soft, hard = resource.getrlimit(limit)
                            if hard == resource.RLIM_INFINITY:
                                print(f"{name}: UNLIMITED")
                                continue
                            try:
                                resource.setrlimit(limit, (hard + 1, hard + 1))
                                print(f"{name}: RAISED")
                            except (ValueError, OSError):
                                print(f"{name}: EPERM")
                        """).expecting(everyLineDenied("EPERM")),
                program(KERNEL, "ioctl(TIOCSTI) on every terminal it can find", """
                        import ctypes, errno, os
                        libc = ctypes.CDLL(None, use_errno=True)
                        def tiocsti(label, fd):
                            char = ctypes.c_char(b"x")
                            ok = libc.ioctl(fd, 0x5412, ctypes.byref(char))
                            print(f"{label}:", "INJECTED" if ok == 0 else errno.errorcode[ctypes.get_errno()])
                        for fd in (0, 1, 2):
                            tiocsti(f"fd {fd}", fd)
                        for path in ("/dev/tty", "/dev/console"):
                            try:
                                tiocsti(path, os.open(path, os.O_RDWR | os.O_NOCTTY))
                            except OSError as e:
                                print(f"{path}: {errno.errorcode[e.errno]}")
                        master, slave = os.openpty()
                        tiocsti("new pty", slave)
                        """).expecting(everyLineDenied("ENOTTY", "ENXIO", "ENOENT", "EPERM", "EIO", "EACCES")));
    }

    /** One raw system call that must be refused; {@code body} uses {@code call} and {@code report(LABEL, …)}. */
    private static Attack probe(String label, String body) {
        return program(KERNEL, label, PRELUDE + "LABEL = \"" + label + "\"\n" + body)
                .expecting(syscallDenied(label, REFUSED));
    }
}
