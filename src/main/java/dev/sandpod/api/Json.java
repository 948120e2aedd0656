package dev.sandpod.api;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.sandpod.run.OutputFile;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.TestOutcome;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The API's JSON: one strict reader for bodies and the writer of results and problems. */
final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Json() {
    }

    static JsonNode read(byte[] body) {
        String text = utf8(body);
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw ApiException.badRequest("the body is empty; send a JSON object with at least \"code\"");
            }
            return node;
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw ApiException.badRequest("the body is not valid JSON"
                    + (where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")"));
        }
    }

    /**
     * Jackson's own decoder takes overlong forms (C0 80 becomes a NUL) and guesses UTF-16 and UTF-32 from the first
     * bytes; the API takes UTF-8 alone, in its one valid form, so Jackson reads the text decoded here. A leading BOM
     * is skipped, as RFC 8259 allows.
     */
    private static String utf8(byte[] body) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
        ByteBuffer in = ByteBuffer.wrap(body);
        CharBuffer out = CharBuffer.allocate(body.length); // UTF-8 never decodes to more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            throw ApiException.badRequest("the body is not valid UTF-8 (at byte " + in.position() + ")");
        }
        decoder.flush(out);
        out.flip();
        if (out.hasRemaining() && out.charAt(0) == '\ufeff') {
            out.get();
        }
        return out.toString();
    }

    /** A value already parsed (an MCP tool's arguments) as the tree the parser reads. */
    static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of strings and numbers failed to serialize", e);
        }
    }

    /** The response body of a finished run, in the field order of the API document. */
    static Map<String, Object> result(RunResult result) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", result.id());
        body.put("status", result.status().wireName());
        body.put("exitCode", result.exitCode());
        body.put("signal", result.signal());
        body.put("stdout", result.stdout());
        body.put("stderr", result.stderr());
        body.put("output", result.output());
        body.put("truncated", result.truncated());
        body.put("timeMs", result.timeMs());
        body.put("cpuMs", result.cpuMs());
        body.put("memoryKb", result.memoryKb());
        body.put("backend", result.backend());
        body.put("files", files(result.files()));
        body.put("filesTruncated", result.filesTruncated());
        if (result.detail() != null) {
            body.put("detail", result.detail());
        }
        if (result.verdict() != null) {
            body.put("verdict", result.verdict());
            body.put("tests", result.tests().stream().map(TestOutcome::fields).toList());
        }
        return body;
    }

    /** The result of {@code request}, saying which runtime ran it. */
    static Map<String, Object> result(RunResult result, RunRequest request) {
        return result(result, request.runtime());
    }

    /** The result of a run of {@code runtime}, saying so. */
    static Map<String, Object> result(RunResult result, String runtime) {
        Map<String, Object> body = result(result);
        body.put("runtime", runtime);
        return body;
    }

    static Map<String, Object> problem(Problem problem) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.type());
        body.put("title", problem.title());
        body.put("status", problem.status());
        body.put("detail", problem.detail());
        return body;
    }

    private static List<Map<String, Object>> files(List<OutputFile> files) {
        return files.stream().map(file -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("path", file.path());
            body.put("size", file.size());
            body.put("mimeType", file.mimeType());
            body.put("content", file.contentBase64());
            return body;
        }).toList();
    }
}
