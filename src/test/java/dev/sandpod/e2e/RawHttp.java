package dev.sandpod.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests no client library would send: the bytes go out as given, the sending side
 * is then closed, and every response the server wrote before closing is parsed.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** One response: its status, its headers (names in lower case, first value) and its body. */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String contentType() {
            return headers.getOrDefault("content-type", "");
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * Sends {@code request} on a new connection and returns the final responses (1xx skipped), in order; an empty list
     * when the server closed without answering. A server that neither answers nor closes within {@code timeout} is a
     * hang, thrown as {@link SocketTimeoutException}.
     */
    public static List<Response> exchange(int port, byte[] request, Duration timeout) throws IOException {
        byte[] received;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) timeout.toMillis());
            try {
                socket.getOutputStream().write(request);
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server may refuse and close before it read all we sent: its answer is still to be read
            }
            received = readToEnd(socket.getInputStream());
        }
        return parse(received, startsWith(request, "HEAD "));
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16384];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new SocketTimeoutException("no end of the answer after " + out.size() + " bytes: "
                    + new String(out.toByteArray(), 0, Math.min(out.size(), 200), StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // a reset after the answer (the server closed with our unread bytes pending): keep what came
        }
        return out.toByteArray();
    }

    static List<Response> parse(byte[] data, boolean head) {
        List<Response> responses = new ArrayList<>();
        int at = 0;
        while (at < data.length) {
            int end = indexOf(data, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), at);
            if (end < 0) {
                throw new IllegalStateException("a response without the end of its headers: "
                        + new String(data, at, Math.min(200, data.length - at), StandardCharsets.ISO_8859_1));
            }
            String[] lines = new String(data, at, end - at, StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ", 3)[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            at = end + 4;
            if (status < 200) {
                continue;
            }
            int length = head || status == 204 || status == 304 ? 0
                    : Integer.parseInt(headers.getOrDefault("content-length", String.valueOf(data.length - at)));
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                at = dechunk(data, at, body);
                responses.add(new Response(status, headers, body.toByteArray()));
            } else {
                byte[] body = new byte[Math.min(length, data.length - at)];
                System.arraycopy(data, at, body, 0, body.length);
                responses.add(new Response(status, headers, body));
                at += body.length;
            }
            if (head && "close".equalsIgnoreCase(headers.get("connection"))) {
                // a request too malformed to be known as a HEAD may be answered with a body before the close
                break;
            }
        }
        return responses;
    }

    private static int dechunk(byte[] data, int at, ByteArrayOutputStream body) {
        byte[] crlf = "\r\n".getBytes(StandardCharsets.ISO_8859_1);
        while (true) {
            int lineEnd = indexOf(data, crlf, at);
            int size = Integer.parseInt(new String(data, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0]
                    .trim(), 16);
            at = lineEnd + 2;
            if (size == 0) {
                return indexOf(data, crlf, at) + 2;
            }
            body.write(data, at, size);
            at += size + 2;
        }
    }

    private static int indexOf(byte[] data, byte[] what, int from) {
        outer:
        for (int i = from; i <= data.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean startsWith(byte[] request, String prefix) {
        return new String(request, 0, Math.min(request.length, prefix.length()), StandardCharsets.ISO_8859_1)
                .equals(prefix);
    }
}
