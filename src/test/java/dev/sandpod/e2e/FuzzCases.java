package dev.sandpod.e2e;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

import static dev.sandpod.Bytes.concat;
import static dev.sandpod.Bytes.splice;

/**
 * Random and mutated HTTP requests to {@code /} and {@code /v1/runs}, as raw bytes, from one seed. The programs of the
 * bodies that stay valid end in milliseconds, so that the real executor they reach keeps the fuzz short.
 */
final class FuzzCases {
    /** One request: what it tries (the histogram's key) and its bytes. */
    record Case(String kind, byte[] bytes) {
    }

    private static final List<String> PROGRAMS = List.of("print(1)", "print(input())", "import sys\nprint(sys.argv[1:])",
            "pass", "raise SystemExit(3)", "(", "x = 1 / 0", "print('\u00e9\ud83d\ude00')", "import os\nprint(os.listdir('.'))",
            "print(open('d/f').read())", "\u0000", "print('a' * 100)");
    private static final List<String> ODD_VALUES = List.of("1e309", "-0", "-0.0", "2147483648", "9223372036854775808",
            "1" + "0".repeat(1000), "1e-400", "1.5", "null", "true", "[]", "{}", "\"\"", "\"\\u0000\"", "\"\\ud800\"",
            "\"\\udc00\"", "\"\\ud83d\\ude00\"", "\"\\ufeff\"", "[".repeat(1200) + "]".repeat(1200),
            "[".repeat(500) + "]".repeat(500), "\"" + "x".repeat(70_000) + "\"", "[\"a\\u0000\"]",
            "[{\"path\":\"../x\",\"content\":\"\"}]",
            "[{\"path\":\"a\",\"content\":\"YQ\",\"encoding\":\"base64\"}]", "[{\"path\":\"main.py/x\",\"content\":\"\"}]",
            "[{\"path\":\"a\",\"content\":\"\"},{\"path\":\"a/b\",\"content\":\"\"}]", "1", "0", "16", "10000", "10001", "512");
    private static final List<String> FIELDS = List.of("code", "input", "stdin", "timeoutMs", "memoryMb", "args", "files",
            "tests", "timeout", "\u00e9");
    private static final List<String> CONTENT_TYPES = List.of("application/json", "application/json; charset=utf-8",
            "application/json;charset=UTF-8", "APPLICATION/JSON", "application/problem+json", "text/plain",
            "application/json; charset=latin1", "application/json; charset=utf-16", "application/json;charset=\"",
            "application/json; charset", ";;;", "", "*/*", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
            "application/json; charset=\"utf-8\"", "application/json, text/plain", "application/json\u00e9");
    private static final List<String> METHODS = List.of("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE",
            "CONNECT", "FOO", "post", "P\u00d6ST", "", "POST POST");
    private static final List<String> PATHS = List.of("/", "/v1/runs", "/v1/runs/", "//v1/runs", "/v1//runs", "/v1/runs?x=1",
            "/v1/runs#f", "/v1/%72uns", "/v1/runs;a=b", "/index.html", "/playground/app.js", "/nope", "/%00", "/%zz",
            "/?a=%zz", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "*", "http://x/v1/runs", "/v1/runs\u00ff",
            "/" + "a".repeat(9000), "/v1/runs?" + "a=1&".repeat(3000));
    private static final List<String> VERSIONS = List.of("HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9",
            "http/1.1", "HTTP/1.1 extra", "", "HTTP/11", "HTTP/1.1\u0000");
    private static final List<String> HEADERS = List.of("Content-Encoding: gzip", "Content-Encoding: identity",
            "Content-Encoding: br, gzip", "Transfer-Encoding: gzip", "Transfer-Encoding: identity", "Transfer-Encoding: ",
            "Transfer-Encoding: chunked, chunked", "Expect: 100-continue", "Expect: 200-ok", "Connection: close",
            "Connection: Upgrade\r\nUpgrade: h2c", "Upgrade: websocket", "Accept: ;;q=abc", "Accept: text/html",
            "Accept-Encoding: gzip", "Host: y", "Host: x:abc", "Host: [::1", "X-Folded: a\r\n b", "Bad Header",
            "X-Nul: a\u0000b", "X-Utf8: \u00e9\u00ff", ": empty-name", "If-Modified-Since: garbage",
            "If-Unmodified-Since: 0", "If-None-Match: *", "If-Match: \"x\"", "Range: bytes=99999-1", "Range: bytes=abc",
            "Origin: http://evil", "Content-Length: 3", "X-Long: " + "a".repeat(20_000), "Cookie: " + ";".repeat(500));

    private final SplittableRandom random;

    FuzzCases(long seed) {
        this.random = new SplittableRandom(seed);
    }

    Case next() {
        int roll = random.nextInt(100);
        if (roll < 18) {
            return new Case("valid-run", post(path(), "application/json", validBody().getBytes(StandardCharsets.UTF_8)));
        }
        if (roll < 45) {
            return new Case("json-mutated", post(path(), "application/json", mutatedJson().getBytes(StandardCharsets.UTF_8)));
        }
        if (roll < 55) {
            return new Case("bytes-in-body", post(path(), "application/json", mutateBytes(validBody()
                    .getBytes(StandardCharsets.UTF_8))));
        }
        if (roll < 67) {
            return new Case("headers", withHeaders());
        }
        if (roll < 77) {
            return new Case("framing", framing());
        }
        if (roll < 87) {
            return new Case("prologue", prologue());
        }
        if (roll < 95) {
            return new Case("bytes-in-request", mutateBytes(post(path(), "application/json",
                    validBody().getBytes(StandardCharsets.UTF_8))));
        }
        return new Case("pipelined", concat(post(path(), "application/json", validBody().getBytes(StandardCharsets.UTF_8)),
                random.nextBoolean() ? prologue() : framing()));
    }

    private String path() {
        return random.nextBoolean() ? "/" : "/v1/runs";
    }

    /** A request the API takes: one of the short programs, with small limits, args, files and tests at random. */
    private String validBody() {
        StringBuilder body = new StringBuilder("{\"code\":").append(json(pick(PROGRAMS)));
        if (random.nextBoolean()) {
            body.append(",\"input\":").append(json(randomText(random.nextInt(40))));
        }
        if (random.nextInt(3) == 0) {
            body.append(",\"timeoutMs\":").append(1 + random.nextInt(3000));
        }
        if (random.nextInt(3) == 0) {
            body.append(",\"memoryMb\":").append(16 + random.nextInt(497));
        }
        if (random.nextInt(3) == 0) {
            body.append(",\"args\":[").append(json(randomText(10).replace('\0', ' '))).append(",\"--x\"]");
        }
        if (random.nextInt(4) == 0) {
            byte[] content = new byte[random.nextInt(64)];
            random.nextBytes(content);
            body.append(",\"files\":[{\"path\":\"d/f\",\"content\":").append(json(randomText(20)))
                    .append("},{\"path\":\"d/g.bin\",\"encoding\":\"base64\",\"content\":\"")
                    .append(Base64.getEncoder().encodeToString(content)).append("\"}]");
        }
        if (random.nextInt(8) == 0) {
            body.append(",\"tests\":[{\"input\":\"a\",\"expectedOutput\":\"a\"}]");
        }
        return body.append('}').toString();
    }

    /** A body of random fields with odd values: duplicates, unknown names, huge numbers, deep nesting, surrogates. */
    private String mutatedJson() {
        List<String> members = new ArrayList<>();
        if (random.nextInt(4) != 0) {
            members.add("\"code\":" + json(pick(PROGRAMS)));
        }
        for (int i = random.nextInt(4); i >= 0; i--) {
            String value = random.nextBoolean() ? pick(ODD_VALUES) : json(randomText(random.nextInt(30)));
            members.add(json(pick(FIELDS)) + ":" + value);
        }
        String body = "{" + String.join(random.nextInt(10) == 0 ? ",," : ",", members) + "}";
        return switch (random.nextInt(8)) {
            case 0 -> "[" + body + "]";
            case 1 -> body.substring(0, random.nextInt(body.length()));
            case 2 -> "\ufeff" + body;
            default -> body;
        };
    }

    private byte[] withHeaders() {
        byte[] body = validBody().getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("POST " + path() + " HTTP/1.1\r\nHost: x\r\n");
        if (random.nextInt(5) != 0) {
            head.append("Content-Type: ").append(pick(CONTENT_TYPES)).append("\r\n");
        }
        for (int i = random.nextInt(3); i >= 0; i--) {
            head.append(pick(HEADERS)).append("\r\n");
        }
        if (random.nextBoolean()) {
            return concat(head.append("Transfer-Encoding: chunked\r\n\r\n").toString().getBytes(StandardCharsets.UTF_8),
                    chunked(body, false));
        }
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        return concat(head.toString().getBytes(StandardCharsets.UTF_8), body);
    }

    /** Content-Length lies and chunked oddities: sizes that are no hex, extensions, trailers, cuts, overflows. */
    private byte[] framing() {
        byte[] body = validBody().getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path() + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
        if (random.nextBoolean()) {
            String length = switch (random.nextInt(8)) {
                case 0 -> String.valueOf(body.length + 1 + random.nextInt(100));
                case 1 -> String.valueOf(random.nextInt(body.length));
                case 2 -> "-" + random.nextInt(10);
                case 3 -> "abc";
                case 4 -> "99999999999999999999";
                case 5 -> body.length + ", " + body.length;
                case 6 -> String.valueOf(4 * 1024 * 1024 + 1);
                default -> " " + body.length + " ";
            };
            return concat((head + "Content-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8), body);
        }
        return concat((head + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.UTF_8), chunked(body, true));
    }

    /** The body in chunks of random sizes; {@code odd} spoils one part of the framing. */
    private byte[] chunked(byte[] body, boolean odd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int spoil = odd ? random.nextInt(9) : -1;
        for (int at = 0; at < body.length; ) {
            int size = Math.min(body.length - at, 1 + random.nextInt(32));
            String line = switch (spoil) {
                case 0 -> "zz";
                case 1 -> Integer.toHexString(size) + ";ext=1";
                case 2 -> "-" + Integer.toHexString(size);
                case 3 -> "ffffffff";
                case 4 -> "7fffffff";
                default -> Integer.toHexString(size);
            };
            out.writeBytes((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, at, size);
            out.writeBytes(spoil == 5 ? new byte[]{'X', 'X'} : new byte[]{'\r', '\n'});
            at += size;
            if (spoil == 6 && random.nextBoolean()) {
                return out.toByteArray();
            }
        }
        out.writeBytes((spoil == 7 ? "0\r\nX-Trailer: 1\r\n\r\n" : spoil == 8 ? "0\r\n" : "0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private byte[] prologue() {
        String method = random.nextInt(3) == 0 ? "POST" : pick(METHODS);
        String path = random.nextInt(3) == 0 ? path() : pick(PATHS);
        String version = random.nextInt(3) == 0 ? "HTTP/1.1" : pick(VERSIONS);
        byte[] body = random.nextBoolean() ? validBody().getBytes(StandardCharsets.UTF_8) : new byte[0];
        String line = random.nextInt(12) == 0 ? randomText(random.nextInt(40)) : method + " " + path + " " + version;
        String head = line + "\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        return concat(head.getBytes(StandardCharsets.UTF_8), body);
    }

    /** One to four byte-level mutations: a random byte, an invalid UTF-8 sequence, a deletion or a repeat. */
    private byte[] mutateBytes(byte[] bytes) {
        byte[] out = bytes;
        for (int i = random.nextInt(4); i >= 0 && out.length > 0; i--) {
            int at = random.nextInt(out.length);
            out = switch (random.nextInt(5)) {
                case 0 -> splice(out, at, 1, new byte[]{(byte) random.nextInt(256)});
                case 1 -> splice(out, at, 0, new byte[][]{{(byte) 0xff}, {(byte) 0xc0, (byte) 0x80},
                    {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {0}, {'\r', '\n'}, {'\n'}}[random.nextInt(6)]);
                case 2 -> splice(out, at, Math.min(out.length - at, 1 + random.nextInt(8)), new byte[0]);
                case 3 -> splice(out, at, 0, java.util.Arrays.copyOfRange(out, at, Math.min(out.length, at + 20)));
                default -> java.util.Arrays.copyOf(out, at);
            };
        }
        return out;
    }

    private static byte[] post(String path, String contentType, byte[] body) {
        return concat(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + contentType + "\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8), body);
    }

    private String randomText(int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            text.appendCodePoint(kind < 6 ? 32 + random.nextInt(95) : kind < 8 ? random.nextInt(0xd800)
                    : 0x1f600 + random.nextInt(64));
        }
        return text.toString();
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
