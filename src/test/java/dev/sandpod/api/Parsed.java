package dev.sandpod.api;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import dev.sandpod.run.RunFile;
import dev.sandpod.run.RunRequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one body becomes through {@link Json#read} and {@link RunRequestParser}: a request, or a refusal. Anything else
 * (another exception) escapes, and so fails the property that asked.
 *
 * @param request the parsed request, or null when refused
 * @param refusal the refusal, or null when parsed
 */
record Parsed(RunRequest request, ApiException refusal) {
    /** The shipped limits, from application.yaml alone. */
    static final LimitPolicy POLICY = LimitPolicy.from(Config.just(ConfigSources.classpath("application.yaml"))
            .get("sandpod.limits"));
    private static final RunRequestParser PARSER = new RunRequestParser(POLICY);
    /** A detail quotes at most a few shortened values: never a body. */
    private static final int MAX_DETAIL_CHARS = 1000;

    static Parsed of(byte[] body, boolean strict) {
        try {
            return new Parsed(PARSER.parse(Json.read(body), strict), null);
        } catch (ApiException e) {
            return new Parsed(null, e);
        }
    }

    static Parsed of(String body, boolean strict) {
        return of(body.getBytes(StandardCharsets.UTF_8), strict);
    }

    int status() {
        return refusal == null ? 200 : refusal.problem().status();
    }

    String detail() {
        return refusal == null ? "" : refusal.problem().detail();
    }

    /** A refusal is a 400 or 413 in words of bounded length; a request keeps every limit of the policy. */
    void assertParsedOrRefused() {
        if (refusal != null) {
            assertTrue(Set.of(400, 413).contains(status()), () -> status() + " " + detail());
            assertFalse(detail().isBlank());
            assertTrue(detail().length() <= MAX_DETAIL_CHARS, () -> "a detail of " + detail().length() + " chars");
            return;
        }
        assertFalse(request.code().isEmpty());
        assertTrue(utf8(request.code()) <= POLICY.maxCodeBytes());
        assertTrue(utf8(request.input()) <= POLICY.maxInputBytes());
        assertTrue(request.args().size() <= POLICY.maxArgs());
        assertTrue(request.files().size() <= POLICY.maxFiles());
        assertTrue(request.tests().size() <= POLICY.maxTests());
        assertTrue(request.limits().timeMs() >= 1 && request.limits().timeMs() <= POLICY.maxTimeoutMs());
        assertTrue(request.limits().memoryMb() >= POLICY.minMemoryMb()
                && request.limits().memoryMb() <= POLICY.maxMemoryMb());
        assertEquals(request.limits().timeMs(), request.limits().cpuMs());
        for (String arg : request.args()) {
            assertFalse(arg.contains("\0"));
            assertTrue(utf8(arg) <= RunRequestParser.MAX_ARG_BYTES);
        }
        for (RunFile file : request.files()) {
            assertFalse(file.path().startsWith("/") || file.path().contains("\0") || file.path().equals("main.py"));
            for (String part : file.path().split("/", -1)) {
                assertFalse(part.isEmpty() || part.equals(".") || part.equals(".."), file.path());
            }
        }
        assertTrue(validUnicode(request.code()) && validUnicode(request.input()));
    }

    static int utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8).length;
    }

    /** No unpaired surrogate: the string survives UTF-8 unchanged. */
    static boolean validUnicode(String value) {
        return new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(value);
    }
}
