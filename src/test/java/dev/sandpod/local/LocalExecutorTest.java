package dev.sandpod.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandpod.run.RunFile;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import dev.sandpod.run.TestCase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs through the real cold jail (no pool) with the real runner; after each test the host must be clean. */
class LocalExecutorTest {
    @RegisterExtension
    static final JailedExecutor EXECUTOR = new JailedExecutor(() -> LocalExecutor.create(Jailed.config(0), Jailed.DEFAULTS));

    private static RunResult run(String code) throws InterruptedException {
        return EXECUTOR.run(Jailed.request(code));
    }

    private static RunResult run(RunRequest request) throws InterruptedException {
        return EXECUTOR.run(request);
    }

    @Test
    void helloWorld() throws Exception {
        RunResult result = run("print('Hello, World!')");
        assertEquals(Status.OK, result.status(), result.toString());
        assertEquals("Hello, World!\n", result.stdout());
        assertEquals("local", result.backend());
    }

    @Test
    void inputArgsAndFilesReachTheProgram() throws Exception {
        RunRequest request = new RunRequest("import sys\nprint(input(), sys.argv[1:], open('data/x.txt').read())",
                "hi\n", List.of("a", "b"), List.of(new RunFile("data/x.txt", "file", "utf8")), Jailed.DEFAULTS, List.of());
        RunResult result = run(request);
        assertEquals("hi ['a', 'b'] file\n", result.stdout(), result.toString());
    }

    @Test
    void runtimeError() throws Exception {
        RunResult result = run("import sys\nsys.exit(3)");
        assertEquals(Status.RUNTIME_ERROR, result.status());
        assertEquals(3, result.exitCode());
    }

    @Test
    void timeoutOfABusyLoop() throws Exception {
        RunResult result = run(RunRequest.of("while True: pass", "", Jailed.limits(500, 128)));
        assertEquals(Status.TIMEOUT, result.status(), result.toString());
    }

    @Test
    void timeoutOfASleep() throws Exception {
        RunResult result = run(RunRequest.of("import time\ntime.sleep(60)", "", Jailed.limits(500, 128)));
        assertEquals(Status.TIMEOUT, result.status(), result.toString());
    }

    @Test
    @DisplayName("a memory bomb ends in memory_limit: the cgroup holds memoryMb plus the runner's overhead")
    void memoryLimit() throws Exception {
        RunResult result = run(RunRequest.of("x = b'x' * (256 << 20)\nprint(len(x))", "", Jailed.limits(5000, 32)));
        assertEquals(Status.MEMORY_LIMIT, result.status(), result.toString());
    }

    @Test
    void outputLimit() throws Exception {
        RunResult result = run("while True: print('x' * 1000)");
        assertEquals(Status.OUTPUT_LIMIT, result.status());
        assertTrue(result.truncated());
    }

    @Test
    void killedBySignal() throws Exception {
        RunResult result = run("import os\nos.kill(os.getpid(), 9)");
        assertEquals(Status.KILLED, result.status());
        assertEquals("SIGKILL", result.signal());
    }

    @Test
    @DisplayName("internal_error passes through when the runner refuses the job")
    void internalErrorFromTheRunner() throws Exception {
        RunRequest request = new RunRequest("print(1)", "", List.of(), List.of(new RunFile("../escape", "x", "utf8")),
                Jailed.DEFAULTS, List.of());
        assertEquals(Status.INTERNAL_ERROR, run(request).status());
    }

    @Test
    @DisplayName("a fork bomb ends in a limit, leaves nothing behind, and the next run is ok")
    void forkBomb() throws Exception {
        String bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass";
        RunResult result = run(RunRequest.of(bomb, "", Jailed.limits(1000, 128)));
        assertTrue(List.of(Status.TIMEOUT, Status.MEMORY_LIMIT, Status.KILLED).contains(result.status()),
                result.toString());
        Jailed.assertNothingLeft();
        assertEquals(Status.OK, run("print('after')").status());
    }

    @Test
    @DisplayName("no network: the host's loopback listener and its external address are unreachable")
    void noNetwork() throws Exception {
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress("0.0.0.0", 0));
            int port = listener.getLocalPort();
            String external = externalAddress().orElse("192.0.2.1");
            RunResult result = run("""
                    import socket
                    for host in ['127.0.0.1', '%s']:
                        try:
                            socket.create_connection((host, %d), timeout=2)
                            print(host, 'connected')
                        except OSError as e:
                            print(host, type(e).__name__, e.errno)
                    try:
                        socket.getaddrinfo('example.com', 80)
                        print('dns resolved')
                    except OSError as e:
                        print('dns', type(e).__name__)
                    """.formatted(external, port));
            assertFalse(result.stdout().contains("connected"), result.stdout());
            assertFalse(result.stdout().contains("resolved"), result.stdout());
            assertTrue(result.stdout().contains("127.0.0.1 ConnectionRefusedError 111"), result.stdout());
            assertTrue(result.stdout().contains(external + " OSError 101"), "network unreachable: " + result.stdout());
            listener.setSoTimeout(50);
            assertThrows(SocketTimeoutException.class, listener::accept, "nothing reached the host listener");
        }
    }

    @Test
    @DisplayName("/proc shows only the jail's runner (PID 1) and program")
    void procShowsOnlyTheJail() throws Exception {
        RunResult result = run("""
                import os
                print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == [1, os.getpid()], os.getppid())
                """);
        assertEquals("True 1\n", result.stdout(), "the runner is PID 1, the program its child, and nothing else");
    }

    @Test
    @DisplayName("the program is uid 65534 with no capabilities, no new privileges, and in seccomp filter mode")
    void identityAndConfinement() throws Exception {
        RunResult result = run("""
                import os
                print(os.getuid(), os.getgid(), os.getgroups())
                for line in open('/proc/self/status'):
                    if line.split(':')[0] in ('CapEff', 'CapPrm', 'CapBnd', 'NoNewPrivs', 'Seccomp'):
                        print(line.strip())
                """);
        assertEquals(List.of("65534 65534 []", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000",
                "CapBnd:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"), result.stdout().lines().toList());
    }

    @Test
    @DisplayName("on the host, no jailed process runs as root: they run as a host uid from the configured range")
    void hostUidIsUnprivileged() throws Exception {
        Future<RunResult> running = Executors.newVirtualThreadPerTaskExecutor()
                .submit(() -> run("import os\nos.execv('/usr/bin/sleep', ['sleep', '1.5'])"));
        Jailed.await(() -> ProcessHandle.current().descendants()
                .anyMatch(p -> p.info().command().orElse("").equals("/usr/bin/sleep")), Duration.ofSeconds(10),
                "the program to start");
        LocalConfig config = Jailed.shipped();
        for (ProcessHandle process : ProcessHandle.current().descendants().toList()) {
            List<Long> uids = statusIds(process.pid(), "Uid:");
            List<Long> gids = statusIds(process.pid(), "Gid:");
            for (long id : uids) {
                assertTrue(id >= config.hostUidMin() && id <= config.hostUidMax(), process.pid() + " uid " + uids);
            }
            assertEquals(uids, gids, "gid follows uid");
        }
        assertEquals(Status.OK, running.get().status());
    }

    @Test
    @DisplayName("the root, /usr, /dev and the runner's directory are read-only")
    void rootIsReadOnly() throws Exception {
        RunResult result = run("""
                for path in ['/x', '/usr/x', '/usr/bin/python3', '/dev/x', '/sandpod/runner.pyc', '/proc/x']:
                    try:
                        open(path, 'a').close()
                        print(path, 'written')
                    except OSError as e:
                        print(path, e.errno)
                """);
        assertFalse(result.stdout().contains("written"), result.stdout());
        for (String path : List.of("/x", "/usr/x", "/dev/x")) {
            assertTrue(result.stdout().contains(path + " 30\n"), path + " EROFS: " + result.stdout());
        }
    }

    @Test
    @DisplayName("/tmp is a tmpfs of fileBytes: two files that each fit in it do not fit together")
    void tmpIsCapped() throws Exception {
        RunResult result = run("""
                chunk = b'x' * (10 << 20)
                for name in ['a', 'b']:
                    try:
                        with open('/tmp/' + name, 'wb') as f:
                            f.write(chunk)
                        print(name, 'ok')
                    except OSError as e:
                        print(name, e.errno)
                """);
        assertEquals("a ok\nb 28\n", result.stdout(), "ENOSPC for the second: " + result);
    }

    @Test
    @DisplayName("judge mode: the expected output is nowhere the program can read, not in a file, not via PID 1's fds")
    void expectedOutputIsHidden() throws Exception {
        RunRequest judged = new RunRequest("""
                import os
                marker = 'HIDDEN' + '-EXPECTED'
                found = []
                for root, dirs, files in os.walk('/'):
                    if root in ('/proc', '/sys', '/usr', '/dev'):
                        dirs[:] = []
                        continue
                    for name in files:
                        try:
                            if marker.encode() in open(os.path.join(root, name), 'rb').read():
                                found.append(os.path.join(root, name))
                        except OSError:
                            pass
                for path in ['/proc/1/fd/0', '/proc/1/environ', '/proc/1/cmdline']:
                    try:
                        if marker.encode() in open(path, 'rb').read():
                            found.append(path)
                    except OSError:
                        pass
                print(found)
                """, "", List.of(), List.of(), Jailed.DEFAULTS, List.of(new TestCase("", "HIDDEN-EXPECTED\n")));
        RunResult result = run(judged);
        assertEquals("wrong_answer", result.verdict(), result.toString());
        assertEquals("[]\n", result.stdout());
    }

    @Test
    @DisplayName("16 concurrent runs each get their own output and see neither another's files nor processes")
    void concurrentRunsAreIsolated() throws Exception {
        int runs = 16;
        List<Future<RunResult>> results = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < runs; i++) {
                String code = """
                        import os, time
                        open('/tmp/mark-%d', 'w').write('x')
                        time.sleep(0.5)
                        procs = [p for p in os.listdir('/proc') if p.isdigit()]
                        print('run-%d', sorted(n for n in os.listdir('/tmp') if n.startswith('mark')), len(procs))
                        """.formatted(i, i);
                results.add(clients.submit(() -> run(RunRequest.of(code, "", Jailed.limits(10_000, 128)))));
            }
            for (int i = 0; i < runs; i++) {
                RunResult result = results.get(i).get();
                assertEquals(Status.OK, result.status(), result.toString());
                assertEquals("run-%d ['mark-%d'] 2\n".formatted(i, i), result.stdout());
            }
        }
    }

    private static List<Long> statusIds(long pid, String field) throws IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return java.util.Arrays.stream(line.substring(field.length()).trim().split("\\s+"))
                        .map(Long::parseLong).toList();
            }
        }
        throw new IOException("no " + field + " for " + pid);
    }

    private static Optional<String> externalAddress() throws IOException {
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            for (InetAddress address : nic.inetAddresses().toList()) {
                if (!address.isLoopbackAddress() && address.getAddress().length == 4) {
                    return Optional.of(address.getHostAddress());
                }
            }
        }
        return Optional.empty();
    }
}
