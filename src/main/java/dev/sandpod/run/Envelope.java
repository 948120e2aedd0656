package dev.sandpod.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Finds and parses the runner's one {@code SANDPOD-RESULT <json>} line.
 *
 * <p>Only the runner can write to the stream this is read from, so a program cannot forge the line; the
 * last such line wins all the same, so that a partial line cut off by a kill never shadows a whole one.
 */
public final class Envelope {
    public static final String PREFIX = "SANDPOD-RESULT ";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Envelope() {
    }

    /** The result carried by {@code runnerStdout}, or empty when the runner never printed a valid envelope. */
    public static Optional<RunResult> parse(String runnerStdout, RunId id, String backend) {
        int start = runnerStdout.lastIndexOf(PREFIX);
        while (start >= 0) {
            if (start == 0 || runnerStdout.charAt(start - 1) == '\n') {
                int end = runnerStdout.indexOf('\n', start);
                String json = runnerStdout.substring(start + PREFIX.length(), end < 0 ? runnerStdout.length() : end);
                Optional<RunResult> result = toResult(json, id, backend);
                if (result.isPresent()) {
                    return result;
                }
            }
            start = start == 0 ? -1 : runnerStdout.lastIndexOf(PREFIX, start - 1);
        }
        return Optional.empty();
    }

    private static Optional<RunResult> toResult(String json, RunId id, String backend) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (Exception e) {
            return Optional.empty();
        }
        if (node == null || !node.isObject() || !node.path("status").isTextual()) {
            return Optional.empty();
        }
        Status status;
        try {
            status = Status.fromWire(node.get("status").asText());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        List<TestOutcome> tests = new ArrayList<>();
        for (JsonNode test : node.path("tests")) {
            tests.add(new TestOutcome(test.path("index").asInt(), test.path("verdict").asText(),
                    Status.fromWire(test.path("status").asText("internal_error")), text(test, "stdout"),
                    text(test, "stderr"), test.path("timeMs").asLong()));
        }
        List<OutputFile> files = new ArrayList<>();
        boolean filesTruncated = node.path("filesTruncated").asBoolean(false);
        for (JsonNode entry : node.path("files")) {
            Optional<OutputFile> file = OutputFile.fromEnvelope(entry);
            file.ifPresent(files::add);
            filesTruncated |= file.isEmpty(); // a malformed entry is dropped, and the client told that one is missing
        }
        return Optional.of(new RunResult(id.value(), status,
                node.path("exitCode").isInt() ? node.get("exitCode").asInt() : null,
                nullableText(node, "signal"),
                text(node, "stdout"),
                text(node, "stderr"),
                text(node, "output"),
                node.path("truncated").asBoolean(false),
                node.path("timeMs").asLong(),
                node.path("cpuMs").asLong(),
                node.path("memoryKb").asLong(),
                backend,
                nullableText(node, "detail"),
                tests,
                nullableText(node, "verdict"),
                files,
                filesTruncated));
    }

    private static String text(JsonNode node, String field) {
        return node.path(field).asText("");
    }

    private static String nullableText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
