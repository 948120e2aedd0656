package dev.sandpod.attacks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host-side targets of the attacks, made real by the test: a sleeping process, TCP, UDP, Unix and abstract
 * listeners, a canary file, and the host files a jail could try to change. {@link #assertUntouched} checks all of
 * them after every attack, so any attack that reaches one fails, whichever attack it was.
 */
final class HostFixtures implements AutoCloseable {
    /** The cloud metadata service, which a pod on a cloud node could otherwise reach. */
    private static final String METADATA_ADDRESS = "169.254.169.254";
    /** Files a jail could try to change; their size, times and permissions must stay as they are. */
    private static final List<String> WATCHED_HOST_FILES = List.of("/usr/bin/env");
    private static final List<String> PLANTED_HOST_PATHS = List.of("/usr/sandpod-pwned", "/usr/lib/sandpod-pwned",
            "/usr/share-pwned");
    /**
     * Listens on an abstract Unix socket and counts connections; each line on stdin is answered with the count so far,
     * after accepting whatever is queued, so the answer covers every connect that returned before the question.
     */
    private static final String ABSTRACT_LISTENER = """
            import select, socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(chr(0) + sys.argv[1])
            s.listen(16)
            s.setblocking(False)
            accepted = 0
            print("ready", flush=True)
            while True:
                readable, _, _ = select.select([s, sys.stdin], [], [])
                try:
                    while True:
                        s.accept()[0].close()
                        accepted += 1
                except BlockingIOError:
                    pass
                if sys.stdin in readable:
                    if not sys.stdin.readline():
                        break
                    print(accepted, flush=True)
            """;

    private final Map<Fixture, String> values = new LinkedHashMap<>();
    private final Process sleeper;
    private final Process abstractListener;
    private final BufferedReader abstractAnswers;
    private final ServerSocketChannel tcp;
    private final DatagramChannel udp;
    private final ServerSocketChannel unix;
    private final Path canaryDir;
    private final Path canary;
    private final byte[] canaryContent;
    private final Map<Path, Object> canaryState;
    private final Map<Path, Object> hostFileState;

    private HostFixtures(Path python, int servicePort) throws IOException {
        String token = HexFormat.of().formatHex(randomBytes(6));
        canaryDir = Files.createTempDirectory("sandpod-attack-canary-");
        canary = canaryDir.resolve("canary.txt");
        canaryContent = ("canary " + token + "\n").getBytes(StandardCharsets.US_ASCII);
        Files.write(canary, canaryContent);
        sleeper = new ProcessBuilder("sleep", "3600").start();
        tcp = ServerSocketChannel.open().bind(new InetSocketAddress(0));
        tcp.configureBlocking(false);
        udp = DatagramChannel.open(StandardProtocolFamily.INET6).bind(new InetSocketAddress(0));
        udp.configureBlocking(false);
        Path socketPath = canaryDir.resolve("docker.sock");
        unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socketPath));
        unix.configureBlocking(false);
        String abstractName = "sandpod-attack-" + token;
        abstractListener = new ProcessBuilder(python.toString(), "-I", "-c", ABSTRACT_LISTENER, abstractName)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        abstractAnswers = new BufferedReader(new InputStreamReader(abstractListener.getInputStream(),
                StandardCharsets.US_ASCII));
        if (!"ready".equals(abstractAnswers.readLine())) {
            throw new IOException("the abstract-socket listener did not start");
        }
        values.put(Fixture.SLEEPER_PID, Long.toString(sleeper.pid()));
        values.put(Fixture.SERVICE_PID, Long.toString(ProcessHandle.current().pid()));
        values.put(Fixture.SERVICE_PORT, Integer.toString(servicePort));
        values.put(Fixture.TCP_PORT, Integer.toString(((InetSocketAddress) tcp.getLocalAddress()).getPort()));
        values.put(Fixture.UDP_PORT, Integer.toString(((InetSocketAddress) udp.getLocalAddress()).getPort()));
        values.put(Fixture.HOST_ADDRESSES, String.join(",", hostAddresses()));
        values.put(Fixture.UNIX_SOCKET, socketPath.toString());
        values.put(Fixture.ABSTRACT_SOCKET, abstractName);
        values.put(Fixture.CANARY_FILE, canary.toString());
        values.put(Fixture.CANARY_DIR, canaryDir.toString());
        canaryState = state(Stream.of(canaryDir, canary));
        hostFileState = state(Stream.concat(WATCHED_HOST_FILES.stream().map(Path::of),
                Stream.of(python.toRealPath(), pythonStdlibOs(python))));
    }

    /** Starts every fixture; {@code python} is the host interpreter the jails run, {@code servicePort} the API's. */
    static HostFixtures open(Path python, int servicePort) throws IOException {
        return new HostFixtures(python, servicePort);
    }

    String value(Fixture fixture) {
        return values.get(fixture);
    }

    /** Every fixture is as the test left it: no process killed, no connection or datagram arrived, no file changed. */
    void assertUntouched() {
        assertTrue(sleeper.isAlive(), "the host's sleeper process was killed from a jail");
        assertNothingReachedTheListeners();
        assertEquals(canaryState, state(Stream.of(canaryDir, canary)), "the host's canary changed");
        try {
            assertTrue(java.util.Arrays.equals(canaryContent, Files.readAllBytes(canary)), "the canary's content changed");
            assertEquals(Set.of("canary.txt", "docker.sock"), listing(canaryDir), "the canary's directory changed");
        } catch (IOException e) {
            throw new AssertionError("the host's canary is gone", e);
        }
        assertEquals(hostFileState, state(hostFileState.keySet().stream()), "a host file under /usr changed");
        for (String planted : PLANTED_HOST_PATHS) {
            assertFalse(Files.exists(Path.of(planted)), () -> planted + " appeared on the host");
        }
    }

    private void assertNothingReachedTheListeners() {
        try {
            assertNull(tcp.accept(), "a TCP connection reached the host's listener");
            assertNull(udp.receive(ByteBuffer.allocate(64)), "a UDP datagram reached the host's socket");
            assertNull(unix.accept(), "a connection reached the host's Unix socket");
            OutputStream ask = abstractListener.getOutputStream();
            ask.write('\n');
            ask.flush();
            assertEquals("0", abstractAnswers.readLine(), "a connection reached the host's abstract socket");
        } catch (IOException e) {
            throw new AssertionError("a host listener failed", e);
        }
    }

    @Override
    public void close() throws IOException {
        sleeper.destroyForcibly();
        abstractListener.destroyForcibly();
        tcp.close();
        udp.close();
        unix.close();
        try (Stream<Path> files = Files.list(canaryDir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(canaryDir);
    }

    /** Non-loopback addresses of the host's interfaces, and the metadata address. */
    private static List<String> hostAddresses() throws SocketException {
        List<String> addresses = new ArrayList<>();
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            for (InetAddress address : nic.inetAddresses().toList()) {
                if (!address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
                    String text = address.getHostAddress();
                    addresses.add(address instanceof Inet6Address ? text.replaceAll("%.*", "") : text);
                }
            }
        }
        addresses.add(METADATA_ADDRESS);
        return addresses;
    }

    /** The attributes a write, chmod, rename or link would change: size, modification and change times, mode. */
    private static Map<Path, Object> state(Stream<Path> paths) {
        Map<Path, Object> state = new LinkedHashMap<>();
        paths.forEach(path -> {
            try {
                state.put(path, Files.readAttributes(path, "unix:size,lastModifiedTime,ctime,mode,nlink,uid"));
            } catch (IOException e) {
                state.put(path, "missing: " + e.getClass().getSimpleName());
            }
        });
        return state;
    }

    private static Set<String> listing(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return new TreeSet<>(entries.map(path -> path.getFileName().toString()).toList());
        }
    }

    private static Path pythonStdlibOs(Path python) throws IOException {
        Process probe = new ProcessBuilder(python.toString(), "-I", "-c", "import os; print(os.__file__)").start();
        String path = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return Path.of(path);
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
