package dev.sandpod.attacks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static dev.sandpod.attacks.Attack.program;
import static dev.sandpod.attacks.Expect.finished;
import static dev.sandpod.attacks.Expect.signal;
import static dev.sandpod.attacks.Expect.status;
import static dev.sandpod.attacks.Expect.statusIn;
import static dev.sandpod.attacks.Expect.stderrFinds;
import static dev.sandpod.attacks.Expect.stdout;
import static dev.sandpod.attacks.Expect.stdoutMatches;
import static dev.sandpod.attacks.Surface.RESOURCES;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Programs that try to exhaust the host: processes, threads, memory, disk, inodes, output, CPU and time. Each must
 * end in its own status, and the invariants checked after every attack prove the host got everything back.
 */
final class ResourceAttacks {
    /** The per-stream output cap of application.yaml ({@code sandpod.limits.output-bytes}). */
    private static final int OUTPUT_CAP = 65536;
    /** The file and tmpfs cap of application.yaml ({@code sandpod.limits.file-bytes}), in MiB. */
    private static final int FILE_CAP_MB = 16;
    /** The largest input the API takes ({@code sandpod.limits.max-input-bytes}). */
    private static final int MAX_INPUT = 1 << 20;
    /** The longest run the API allows ({@code sandpod.limits.max-timeout-ms}). */
    private static final int MAX_TIMEOUT_MS = 10000;

    private ResourceAttacks() {
    }

    static List<Attack> all() {
        return Stream.concat(processLimits().stream(), hostLimits().stream()).toList();
    }

    /**
     * Limits that the runner and the sandbox's own PID namespace hold wherever the runner runs: time, output,
     * signals, processes (a pids cgroup locally, RLIMIT_NPROC under a pod's own UID), file size, core files.
     */
    static List<Attack> processLimits() {
        return List.of(
                // Held at the process cap, the copies spin until the wall limit, unless the pages each copy writes
                // (reference counts) fill the memory limit first: which comes first depends on the machine's load.
                program(RESOURCES, "fork bomb", """
                        import os
                        while True:
                            try:
                                os.fork()
                            except OSError:
                                pass
                        """).expecting(statusIn("timeout", "memory_limit")),
                program(RESOURCES, "thread bomb stops at the process cap", """
                        import threading, time
                        started = 0
                        try:
                            while True:
                                threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
                                started += 1
                        except RuntimeError:
                            print("capped after", started)
                        """).expecting(finished().and(stdoutMatches("capped after ([0-9]|[1-5][0-9]|6[0-3])\n"))),
                program(RESOURCES, "one huge file", """
                        with open("huge.bin", "wb") as f:
                            while True:
                                f.write(b"x" * (1 << 20))
                        """).expecting(status("runtime_error").and(stderrFinds("File too large|No space left"))),
                program(RESOURCES, "sparse file far past the size cap", """
                        with open("sparse.bin", "wb") as f:
                            f.seek(1 << 40)
                            f.write(b"x")
                        """).expecting(status("runtime_error").and(stderrFinds("File too large"))),
                program(RESOURCES, "runaway stdout", """
                        while True:
                            print("A" * 1023)
                        """).expecting(capped(true)),
                program(RESOURCES, "runaway stderr", """
                        import sys
                        while True:
                            sys.stderr.write("E" * 1023 + chr(10))
                        """).expecting(capped(false)),
                program(RESOURCES, "one endless line without a newline", """
                        import sys
                        while True:
                            sys.stdout.write("B" * 65536)
                        """).expecting(capped(true)),
                program(RESOURCES, "busy loop", "while True: pass\n").expecting(status("timeout")),
                program(RESOURCES, "sleep", "import time\ntime.sleep(3600)\n").expecting(status("timeout")),
                program(RESOURCES, "ignores SIGTERM, SIGINT, SIGHUP and SIGQUIT", """
                        import signal, time
                        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
                            signal.signal(sig, signal.SIG_IGN)
                        print("ignoring", flush=True)
                        while True:
                            time.sleep(0.01)
                        """).expecting(status("timeout").and(stdout("ignoring\n"))),
                program(RESOURCES, "double fork and setsid daemon outlives the program", """
                        import os, time
                        if os.fork() == 0:
                            os.setsid()
                            if os.fork() == 0:
                                for fd in (0, 1, 2):
                                    os.close(fd)
                                while True:
                                    time.sleep(0.05)
                            os._exit(0)
                        os.wait()
                        print("daemon started")
                        """).expecting(finished().and(stdout("daemon started\n"))),
                program(RESOURCES, "daemon keeps the output pipes open", """
                        import os, time
                        if os.fork() == 0:
                            os.setsid()
                            while True:
                                time.sleep(0.05)
                        print("parent done")
                        """).expecting(finished().and(stdout("parent done\n"))),
                program(RESOURCES, "hundreds of zombies left to the runner", """
                        import os
                        made = 0
                        for _ in range(500):
                            try:
                                pid = os.fork()
                            except OSError:
                                break
                            if pid == 0:
                                os._exit(0)
                            made += 1
                        print("zombies:", made)
                        """).expecting(finished().and(stdoutMatches("zombies: [0-9]+\n"))),
                program(RESOURCES, "deep recursion is reported", """
                        import sys
                        sys.setrecursionlimit(10 ** 8)
                        class Deep:
                            def __repr__(self):
                                return repr(self)
                        repr(Deep())
                        """).timeoutMs(5000).expecting(crashed()),
                program(RESOURCES, "deep recursion leaves no core file", """
                        import os, resource, sys
                        pid = os.fork()
                        if pid == 0:
                            sys.setrecursionlimit(10 ** 8)
                            class Deep:
                                def __repr__(self):
                                    return repr(self)
                            repr(Deep())
                        _, status = os.waitpid(pid, 0)
                        cores = [f for d in (".", "/tmp") for f in os.listdir(d) if f.startswith("core")]
                        print("signaled", os.WIFSIGNALED(status), "core dumped", os.WCOREDUMP(status),
                              "core files", cores, "RLIMIT_CORE", resource.getrlimit(resource.RLIMIT_CORE))
                        """).timeoutMs(5000).expecting(finished().and(stdoutMatches(
                        "signaled True core dumped False core files \\[\\] RLIMIT_CORE \\(0, 0\\)\n"))));
    }

    /** Limits on the host's memory, tmpfs and inodes, which only the local jail's cgroup and tmpfs sizes hold here. */
    static List<Attack> hostLimits() {
        String mebibyte = "0123456789abcdef".repeat(MAX_INPUT / 16);
        return List.of(
                program(RESOURCES, "memory bomb", """
                        hoard = []
                        while True:
                            hoard.append(b"x" * (8 << 20))
                        """).expecting(status("memory_limit")),
                program(RESOURCES, "slow memory growth", """
                        import time
                        hoard = []
                        while True:
                            hoard.append(b"x" * (1 << 20))
                            time.sleep(0.002)
                        """).timeoutMs(4000).expecting(status("memory_limit")),
                program(RESOURCES, "memory bomb spread over forked children", """
                        import os, time
                        for _ in range(4):
                            if os.fork() == 0:
                                hoard = b"x" * (40 << 20)
                                time.sleep(60)
                        os.wait()
                        """).expecting(status("memory_limit")),
                program(RESOURCES, "tmpfs fill of /tmp stops at the file cap", fill("/tmp/fill"))
                        .expecting(filledAtMost(FILE_CAP_MB)),
                program(RESOURCES, "tmpfs fill of the working directory stops at the file cap", fill("fill"))
                        .expecting(filledAtMost(FILE_CAP_MB)),
                program(RESOURCES, "tmpfs fill of /dev/shm stops at the file cap", fill("/dev/shm/fill"))
                        .expecting(filledAtMost(FILE_CAP_MB)),
                program(RESOURCES, "inode exhaustion", """
                        import errno, os
                        made = 0
                        try:
                            while True:
                                os.close(os.open(f"/tmp/i{made}", os.O_CREAT | os.O_WRONLY, 0o600))
                                made += 1
                        except OSError as e:
                            print("stopped:", errno.errorcode[e.errno])
                        """).timeoutMs(MAX_TIMEOUT_MS).expecting(status("memory_limit")),
                program(RESOURCES, "1 MiB of stdin is read whole", """
                        import hashlib, sys
                        data = sys.stdin.buffer.read()
                        print(len(data), hashlib.sha256(data).hexdigest())
                        """).input(mebibyte).expecting(finished().and(stdout(MAX_INPUT + " " + sha256(mebibyte)
                        + "\n"))),
                program(RESOURCES, "1 MiB of stdin left unread", "print('ignored')\n").input(mebibyte)
                        .expecting(finished().and(stdout("ignored\n"))));
    }

    /** Writes 1 MiB chunks into new files at {@code prefix}N until the kernel refuses, then says how far it got. */
    private static String fill(String prefix) {
        return """
                import errno
                written = 0
                try:
                    for i in range(1000):
                        with open(f"PREFIX{i}", "wb") as f:
                            for _ in range(4):
                                f.write(b"x" * (1 << 20))
                                written += 1
                except OSError as e:
                    print("stopped:", errno.errorcode[e.errno], "after", written, "MiB")
                """.replace("PREFIX", prefix);
    }

    /** A fill ended by the kernel's refusal (a full tmpfs or the file size cap), before the memory limit. */
    private static Expectation filledAtMost(int mebibytes) {
        return finished().and(stdoutMatches("stopped: (ENOSPC|EFBIG) after [0-9]+ MiB\n")).and(answer -> {
            int written = Integer.parseInt(answer.stdout().replaceAll("[^0-9]", ""));
            assertTrue(written <= mebibytes, () -> "wrote " + written + " MiB past the cap of " + mebibytes + " MiB");
        });
    }

    /** Runaway output: the run ends as output_limit with the stream cut at the cap. */
    private static Expectation capped(boolean stdout) {
        return status("output_limit").and(answer -> {
            String stream = stdout ? answer.stdout() : answer.stderr();
            assertTrue(answer.truncated(), answer::describe);
            assertTrue(!stream.isEmpty() && stream.length() <= OUTPUT_CAP, () -> "the stream holds " + stream.length()
                    + " chars, the cap is " + OUTPUT_CAP);
        });
    }

    /** Recursion through C ({@code repr}) overflows the C stack: SIGSEGV, reported as such rather than hidden. */
    private static Expectation crashed() {
        return status("killed").and(signal("SIGSEGV"));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
