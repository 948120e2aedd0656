package dev.sandpod.attacks;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** What the service answered to one attack: the HTTP status, the raw body and the body parsed as JSON. */
record Answer(int httpStatus, byte[] raw, JsonNode body) {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int SHOWN_CHARS = 1500;

    /**
     * Parses a body strictly: it must be valid UTF-8 and JSON whatever the program printed, since a client that
     * trusts our answer must never be handed broken text.
     */
    static Answer of(int httpStatus, byte[] raw) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw));
            return new Answer(httpStatus, raw, MAPPER.readTree(raw));
        } catch (CharacterCodingException e) {
            throw new AssertionError("HTTP " + httpStatus + " body is not valid UTF-8", e);
        } catch (java.io.IOException e) {
            throw new AssertionError("HTTP " + httpStatus + " body is not JSON: " + preview(new String(raw,
                    StandardCharsets.UTF_8)), e);
        }
    }

    String status() {
        return body.path("status").asText();
    }

    String stdout() {
        return body.path("stdout").asText();
    }

    String stderr() {
        return body.path("stderr").asText();
    }

    String output() {
        return body.path("output").asText();
    }

    String signal() {
        return body.path("signal").isNull() ? null : body.path("signal").asText(null);
    }

    Integer exitCode() {
        return body.path("exitCode").isInt() ? body.get("exitCode").asInt() : null;
    }

    long timeMs() {
        return body.path("timeMs").asLong();
    }

    boolean truncated() {
        return body.path("truncated").asBoolean(false);
    }

    /** The answer as shown in assertion messages, cut so that a runaway-output attack keeps the report readable. */
    String describe() {
        return "HTTP " + httpStatus + " " + preview(body.toString());
    }

    private static String preview(String text) {
        return text.length() <= SHOWN_CHARS ? text : text.substring(0, SHOWN_CHARS) + "… (" + text.length() + " chars)";
    }
}
