package dev.sandpod.kube;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy between the executor's Kubernetes client and the mock API server that plays one fault of the API server
 * at a time, switched with {@link #inject} while a test runs. It reads each HTTP/1.1 request head to decide what the
 * request meets, and passes the bytes of answers through untouched unless a stall holds them.
 *
 * <p>Each connection has two platform threads of the proxy's own, and the proxy never calls into the mock: nothing it
 * does can block the mock's single event loop (STACK-NOTES), and the kubelet emulator and the tests' own client keep
 * talking to the mock directly, as the nodes would while the service's path to the API server fails.
 */
final class FaultProxy implements AutoCloseable {
    private static final byte[] HEAD_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HEAD_BYTES = 64 * 1024;
    /** How long a cut waits for the mock to close its end; past it the connection is closed from here too. */
    private static final Duration CUT_TIMEOUT = Duration.ofSeconds(10);

    enum Fault {
        /** Everything passes. */
        NONE,
        /** Every request is answered 500 with a Status, as by an API server whose etcd is down; open streams go on. */
        ERROR_500,
        /** Every request is taken and never answered; open streams go on. */
        BLACKHOLE,
        /** Requests pass, and each answer stops after its head, the watch's open stream at once, until the fault ends. */
        STALL,
        /** Nothing listens: connections are refused and the open ones are cut. */
        REFUSE,
        /** Every watch request is answered 410 Gone, as when the API server's watch cache has moved past the version. */
        WATCH_GONE,
        /** Watches go silent: their streams are held after their head, open ones at once; other requests pass. */
        WATCH_SILENT
    }

    private final int upstreamPort;
    private final int port;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private volatile Fault fault = Fault.NONE;
    private volatile ServerSocket listener;
    private volatile boolean closed;

    /** Listens on a free loopback port and forwards to the mock API server on {@code upstreamPort}. */
    FaultProxy(int upstreamPort) {
        this.upstreamPort = upstreamPort;
        this.listener = listen(0);
        this.port = listener.getLocalPort();
        Thread.ofPlatform().name("fault-proxy-accept").daemon().start(this::accept);
    }

    String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    Fault fault() {
        return fault;
    }

    /** Switches to {@code next}: REFUSE closes the port and cuts every connection, NONE reopens it and ends stalls. */
    void inject(Fault next) {
        synchronized (lock) {
            fault = next;
            if (next == Fault.REFUSE) {
                closeQuietly(listener);
                dropConnections();
            } else if (listener.isClosed()) {
                listener = listen(port);
            }
            lock.notifyAll();
        }
    }

    /**
     * Cuts every open connection, the informer's watch among them, as a restarted API server or load balancer does, and
     * returns once the mock has closed its end of each. The mock's end goes first, by a FIN, so that once this returns
     * the mock has seen every cut and only its close handlers may still be queued on its event loop: one request of the
     * test's own to the mock then runs behind them. A cut the mock sees only after a later event is sent to the watch
     * deadlocks its event loop for 30 s (STACK-NOTES).
     */
    void dropConnections() {
        connections.forEach(Connection::cut);
        long until = System.nanoTime() + CUT_TIMEOUT.toNanos();
        synchronized (lock) {
            try {
                while (!connections.isEmpty() && System.nanoTime() < until) {
                    lock.wait(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connections.forEach(Connection::close);
    }

    @Override
    public void close() {
        closed = true;
        inject(Fault.REFUSE);
    }

    private void accept() {
        while (!closed) {
            ServerSocket socket = listener;
            try {
                Connection connection = new Connection(socket.accept());
                connections.add(connection);
                Thread.ofPlatform().name("fault-proxy-requests").daemon().start(connection::requests);
            } catch (IOException e) {
                awaitListening(socket);
            }
        }
    }

    private void awaitListening(ServerSocket gone) {
        synchronized (lock) {
            while (!closed && listener == gone) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static ServerSocket listen(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true); // the same port again after REFUSE, with the old connections in TIME_WAIT
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            if (closeable != null) {
                closeable.close();
            }
        } catch (Exception e) {
            // already closed
        }
    }

    /** One client connection: requests are read here, each forwarded or answered by the fault; answers flow back. */
    private final class Connection {
        private final Socket client;
        private volatile Socket upstream;
        /** A forwarded request's answer has not passed its head yet; a stall lets that head through. */
        private volatile boolean headPending;
        /** The last request forwarded was a watch: its answer streams for as long as the watch lasts. */
        private volatile boolean watching;

        Connection(Socket client) {
            this.client = client;
        }

        void requests() {
            try (client) {
                InputStream in = client.getInputStream();
                Request request;
                while ((request = Request.read(in)) != null) {
                    Fault now = fault;
                    if (now == Fault.BLACKHOLE) {
                        continue; // taken, never answered: the client waits for its own timeout
                    }
                    if (now == Fault.ERROR_500) {
                        answer(500, "InternalError", "etcdserver: request timed out");
                        return;
                    }
                    if (now == Fault.WATCH_GONE && request.watch()) {
                        answer(410, "Expired", "too old resource version");
                        return;
                    }
                    forward(request);
                    if (request.upgrade()) {
                        in.transferTo(upstream.getOutputStream()); // a WebSocket (attach): raw frames from here on
                        return;
                    }
                }
            } catch (IOException e) {
                // cut by a fault, or closed by the client
            } finally {
                close();
            }
        }

        private void forward(Request request) throws IOException {
            if (upstream == null) {
                upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                Thread.ofPlatform().name("fault-proxy-answers").daemon().start(this::answers);
            }
            headPending = true;
            watching = request.watch();
            OutputStream out = upstream.getOutputStream();
            out.write(request.bytes());
            out.flush();
        }

        /** Copies the mock's answers back, holding them while they stall (STALL, or WATCH_SILENT on a watch) but a head. */
        private void answers() {
            byte[] buffer = new byte[16 * 1024];
            int matched = 0;
            try {
                InputStream in = upstream.getInputStream();
                OutputStream out = client.getOutputStream();
                int read;
                while ((read = in.read(buffer)) > 0) {
                    int from = 0;
                    while (from < read) {
                        awaitFlowing();
                        int to = read;
                        if (headPending) {
                            for (int i = from; i < read; i++) {
                                matched = buffer[i] == HEAD_END[matched] ? matched + 1 : buffer[i] == HEAD_END[0] ? 1 : 0;
                                if (matched == HEAD_END.length) {
                                    to = i + 1;
                                    matched = 0;
                                    headPending = false;
                                    break;
                                }
                            }
                        }
                        out.write(buffer, from, to - from);
                        out.flush();
                        from = to;
                    }
                }
            } catch (IOException e) {
                // cut by a fault, or closed by either side
            } finally {
                close();
            }
        }

        private void awaitFlowing() throws IOException {
            synchronized (lock) {
                while (stalled() && !headPending) {
                    if (client.isClosed()) {
                        throw new SocketException("closed while stalled");
                    }
                    try {
                        lock.wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new SocketException("interrupted while stalled");
                    }
                }
            }
        }

        private boolean stalled() {
            Fault now = fault;
            return now == Fault.STALL || (now == Fault.WATCH_SILENT && watching);
        }

        private void answer(int code, String reason, String message) throws IOException {
            String status = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\""
                    + message + "\",\"reason\":\"" + reason + "\",\"code\":" + code + "}";
            byte[] body = status.getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 " + code + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\nConnection: close\r\n\r\n";
            OutputStream out = client.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        }

        /**
         * Ends the mock's side first: what it still answers flows back until it closes, and then this closes. A stalled
         * connection, whose answers are not being read, is closed at once.
         */
        void cut() {
            Socket mock = upstream;
            if (mock == null) {
                close();
                return;
            }
            try {
                mock.shutdownOutput();
            } catch (IOException e) {
                close();
                return;
            }
            if (stalled()) {
                close();
            }
        }

        void close() {
            connections.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    /** One HTTP/1.1 request as read off the wire: its head and its Content-Length body. */
    private record Request(String head, byte[] bytes) {
        static Request read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < HEAD_END.length) {
                int next = in.read();
                if (next < 0) {
                    return null;
                }
                head.write(next);
                matched = next == HEAD_END[matched] ? matched + 1 : next == HEAD_END[0] ? 1 : 0;
                if (head.size() > MAX_HEAD_BYTES) {
                    throw new IOException("request head over " + MAX_HEAD_BYTES + " bytes");
                }
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            String lower = text.toLowerCase(Locale.ROOT);
            if (lower.contains("\r\ntransfer-encoding:")) {
                throw new IOException("chunked request bodies are not proxied: " + text.lines().findFirst().orElse(""));
            }
            int length = contentLength(lower);
            head.write(in.readNBytes(length));
            return new Request(text, head.toByteArray());
        }

        boolean watch() {
            String target = head.substring(0, head.indexOf("\r\n"));
            return target.contains("watch=true") || target.contains("watch=1");
        }

        boolean upgrade() {
            return head.toLowerCase(Locale.ROOT).contains("\r\nupgrade:");
        }

        private static int contentLength(String lowerHead) {
            int at = lowerHead.indexOf("\r\ncontent-length:");
            if (at < 0) {
                return 0;
            }
            int end = lowerHead.indexOf("\r\n", at + 2);
            return Integer.parseInt(lowerHead.substring(at + "\r\ncontent-length:".length(), end).trim());
        }
    }
}
