package dev.sandpod.reliability;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 keep-alive connection on a plain socket that sends the same request again and again, for load: a
 * client library's own queues and threads would be measured with the server, and on two cores they cost more CPU than
 * the refusals they measure. It reads what the server sends for this API: a status line, headers, and a body of a
 * Content-Length or chunked.
 */
final class KeepAliveConnection implements AutoCloseable {
    /** What came back: the status, the Retry-After header or null, and the body. */
    record Response(int status, String retryAfter, String body) {
    }

    private final InetSocketAddress server;
    private final byte[] request;
    private final Duration timeout;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    KeepAliveConnection(InetSocketAddress server, String path, String jsonBody, Duration timeout) {
        this(server, path, jsonBody, Map.of(), timeout);
    }

    /** The request with {@code headers} besides Host, Content-Type and Content-Length. */
    KeepAliveConnection(InetSocketAddress server, String path, String jsonBody, Map<String, String> headers,
                        Duration timeout) {
        this.server = server;
        this.timeout = timeout;
        byte[] body = jsonBody.getBytes(StandardCharsets.UTF_8);
        StringBuilder extra = new StringBuilder();
        headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n" + extra + "\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        this.request = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
    }

    /** Sends the request, on a new connection if the last one was closed, and reads the whole response. */
    Response send() throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.connect(server, (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 8192);
            out = socket.getOutputStream();
        }
        try {
            out.write(request);
            out.flush();
            return read();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private Response read() throws IOException {
        String statusLine = line();
        int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
        String retryAfter = null;
        long length = -1;
        boolean chunked = false;
        boolean closes = false;
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                case "connection" -> closes = value.equalsIgnoreCase("close");
                case "retry-after" -> retryAfter = value;
                default -> {
                }
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
                    size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            line();
        } else if (length >= 0) {
            byte[] bytes = in.readNBytes((int) length);
            if (bytes.length < length) {
                throw new EOFException("the body ended after " + bytes.length + " of " + length + " bytes");
            }
            body.write(bytes);
        }
        if (closes) {
            close();
        }
        return new Response(status, retryAfter, body.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("the connection closed mid-response");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing a connection that already failed
            }
            socket = null;
        }
    }
}
