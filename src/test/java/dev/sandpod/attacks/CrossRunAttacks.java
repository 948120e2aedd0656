package dev.sandpod.attacks;

import java.util.List;

/**
 * Ways two runs could talk to each other, and what one run could leave for the next.
 *
 * <p>A channel program claims a named resource that both runs can name (a lock on a shared read-only file, an
 * abstract socket name, a SysV key, …) and holds it for {@link #HOLD_SECONDS}, watching for signs of the other run.
 * Two concurrent runs that both hold the claim at the same instant prove the resource is not shared: each prints
 * {@code claimed START END}, and the windows must overlap. {@code taken} means the other run was seen: a channel.
 * {@code refused} means the jail does not offer the call at all, which closes the channel too.
 */
final class CrossRunAttacks {
    static final double HOLD_SECONDS = 1.5;
    static final int TIMEOUT_MS = 5000;

    /** One way to talk; the program gets its role, A or B, as its only argument. */
    record Channel(String name, String code) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String SKELETON = """
            import ctypes, errno, os, sys, time
            ROLE = sys.argv[1]
            libc = ctypes.CDLL(None, use_errno=True)
            def check(result):
                if result < 0:
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
                return result
            CHANNEL
            try:
                handle = claim()
            except OSError as e:
                refused = e.errno in (errno.EPERM, errno.EACCES, errno.ENOSYS, errno.EAFNOSUPPORT, errno.ENOLCK)
                print("refused" if refused else "taken", errno.errorcode[e.errno])
                sys.exit(0)
            start = time.time()
            while time.time() < start + HOLD:
                if seen(handle):
                    print("taken while holding")
                    sys.exit(0)
                time.sleep(0.01)
            print("claimed", repr(start), repr(time.time()))
            """.replace("HOLD", Double.toString(HOLD_SECONDS));

    private CrossRunAttacks() {
    }

    static List<Channel> channels() {
        return List.of(
                channel("flock on a shared read-only file (the stdlib's os.py)", """
                        import fcntl
                        def claim():
                            f = open(os.__file__, "rb")
                            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                            return f
                        def seen(f):
                            return False
                        """),
                channel("flock on a shared device node (/dev/null)", """
                        import fcntl
                        def claim():
                            f = open("/dev/null", "rb")
                            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                            return f
                        def seen(f):
                            return False
                        """),
                channel("POSIX record lock seen through F_GETLK on a shared read-only file", """
                        import fcntl, struct
                        def locked_by_other(fd):
                            query = struct.pack("hhqqii", fcntl.F_WRLCK, 0, 0, 0, 0, 0)
                            return struct.unpack("hhqqii", fcntl.fcntl(fd, fcntl.F_GETLK, query))[0] != fcntl.F_UNLCK
                        def claim():
                            fd = os.open(os.__file__, os.O_RDONLY)
                            if locked_by_other(fd):
                                raise OSError(errno.EAGAIN, "locked")
                            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                            return fd
                        def seen(fd):
                            return locked_by_other(fd)
                        """),
                channel("inotify on a shared read-only file that the other run opens", """
                        BEACONS = {"A": "this.py", "B": "antigravity.py"}
                        STDLIB = os.path.dirname(os.__file__)
                        def claim():
                            fd = check(libc.inotify_init1(os.O_NONBLOCK))
                            check(libc.inotify_add_watch(fd, os.path.join(STDLIB, BEACONS[ROLE]).encode(), 0x20))
                            return fd
                        def seen(fd):
                            other = BEACONS["B" if ROLE == "A" else "A"]
                            os.close(os.open(os.path.join(STDLIB, other), os.O_RDONLY))
                            try:
                                return len(os.read(fd, 4096)) > 0
                            except BlockingIOError:
                                return False
                        """),
                channel("dnotify (F_NOTIFY) on a shared directory whose files the other run reads", """
                        import fcntl, signal
                        DIRECTORIES = {"A": "xmlrpc", "B": "wsgiref"}
                        STDLIB = os.path.dirname(os.__file__)
                        events = []
                        def claim():
                            signal.signal(signal.SIGIO, lambda *_: events.append(1))
                            fd = os.open(os.path.join(STDLIB, DIRECTORIES[ROLE]), os.O_RDONLY)
                            fcntl.fcntl(fd, fcntl.F_NOTIFY, fcntl.DN_ACCESS | fcntl.DN_MULTISHOT)
                            return fd
                        def seen(fd):
                            other = DIRECTORIES["B" if ROLE == "A" else "A"]
                            with open(os.path.join(STDLIB, other, "__init__.py"), "rb") as f:
                                f.read()
                            return bool(events)
                        """),
                channel("abstract Unix socket name", """
                        import socket
                        def claim():
                            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                            s.bind(chr(0) + "sandpod-cross-run")
                            return s
                        def seen(s):
                            return False
                        """),
                channel("file in /dev/shm", exclusiveFile("/dev/shm/sandpod-cross-run")),
                channel("file in /tmp", exclusiveFile("/tmp/sandpod-cross-run")),
                channel("SysV shared memory key", sysv("shmget(0x5A4D0001, 4096, FLAGS)")),
                channel("SysV message queue key", sysv("msgget(0x5A4D0002, FLAGS)")),
                channel("SysV semaphore key", sysv("semget(0x5A4D0003, 1, FLAGS)")));
    }

    /** Run A leaves something in every place a run can write; the next run lists what it finds. */
    static final String LEAVE_BEHIND = """
            import ctypes, os, socket, subprocess, sys, time
            libc = ctypes.CDLL(None, use_errno=True)
            for path in ("/tmp/sandpod-left", "/dev/shm/sandpod-left", "sandpod-left"):
                with open(path, "w") as f:
                    f.write("left by run A")
            FLAGS = 0o1000 | 0o600
            print(libc.shmget(0x5A4D0011, 4096, FLAGS) >= 0, libc.msgget(0x5A4D0012, FLAGS) >= 0,
                  libc.semget(0x5A4D0013, 1, FLAGS) >= 0)
            if os.fork() == 0:
                os.setsid()
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(chr(0) + "sandpod-left")
                s.listen()
                time.sleep(3600)
            """;

    static final String LOOK_FOR_LEFTOVERS = """
            import ctypes, glob
            libc = ctypes.CDLL(None, use_errno=True)
            found = [p for p in glob.glob("/tmp/**", recursive=True) + glob.glob("/dev/shm/*") if "sandpod-left" in p]
            found += ["shm"] if libc.shmget(0x5A4D0011, 0, 0) >= 0 else []
            found += ["msg"] if libc.msgget(0x5A4D0012, 0) >= 0 else []
            found += ["sem"] if libc.semget(0x5A4D0013, 0, 0) >= 0 else []
            found += ["socket"] if "sandpod-left" in open("/proc/net/unix").read() else []
            print("found", found)
            """;

    private static Channel channel(String name, String code) {
        return new Channel(name, SKELETON.replace("CHANNEL", code));
    }

    private static String exclusiveFile(String path) {
        return """
                def claim():
                    return os.open("PATH", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                def seen(fd):
                    return False
                """.replace("PATH", path);
    }

    /** Creates a SysV object under a fixed key with IPC_CREAT | IPC_EXCL: EEXIST if the other run made it first. */
    private static String sysv(String call) {
        return """
                FLAGS = 0o1000 | 0o2000 | 0o600
                def claim():
                    return check(libc.CALL)
                def seen(ident):
                    return False
                """.replace("CALL", call);
    }
}
