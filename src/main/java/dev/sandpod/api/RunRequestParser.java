package dev.sandpod.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.sandpod.run.RunFile;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.TestCase;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Turns a request body into a {@link RunRequest}, or refuses it with a 400 or 413 that names the field and the rule.
 *
 * <p>The strict form (for {@code /v1/runs}) refuses unknown fields, so that a typo such as {@code timeout} is not
 * silently ignored; the seed's {@code POST /} ignores them, as the seed did.
 */
final class RunRequestParser {
    static final String CODE_REQUIRED = "Code is required";
    static final Set<String> FIELDS = Set.of("code", "input", "stdin", "timeoutMs", "memoryMb", "args", "files",
            "tests");
    private static final int MAX_PATH_CHARS = 200;

    private final LimitPolicy policy;

    RunRequestParser(LimitPolicy policy) {
        this.policy = policy;
    }

    RunRequest parse(JsonNode body, boolean strict) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        if (strict) {
            rejectUnknownFields(body);
        }
        String code = code(body.get("code"));
        String input = input(body);
        int timeoutMs = boundedInt(body.get("timeoutMs"), "timeoutMs", 1, policy.maxTimeoutMs(),
                policy.defaultTimeoutMs());
        int memoryMb = boundedInt(body.get("memoryMb"), "memoryMb", policy.minMemoryMb(), policy.maxMemoryMb(),
                policy.defaultMemoryMb());
        return new RunRequest(code, input, args(body.get("args")), files(body.get("files")),
                policy.limits(timeoutMs, memoryMb),
                tests(body.get("tests")));
    }

    private static void rejectUnknownFields(JsonNode body) {
        Set<String> unknown = new TreeSet<>();
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("unknown fields " + unknown + "; known fields are " + new TreeSet<>(FIELDS));
        }
    }

    private String code(JsonNode node) {
        if (node == null || node.isNull() || (node.isTextual() && node.asText().isEmpty())) {
            throw ApiException.badRequest(CODE_REQUIRED);
        }
        String code = text(node, "code");
        capBytes(code, "code", policy.maxCodeBytes());
        return code;
    }

    private String input(JsonNode body) {
        String input = optionalText(body.get("input"), "input");
        String stdin = optionalText(body.get("stdin"), "stdin");
        if (input != null && stdin != null && !input.equals(stdin)) {
            throw ApiException.badRequest("input and its alias stdin are both given and differ; send one");
        }
        String chosen = input != null ? input : stdin != null ? stdin : "";
        capBytes(chosen, "input", policy.maxInputBytes());
        return chosen;
    }

    private List<String> args(JsonNode node) {
        List<String> args = new ArrayList<>();
        for (JsonNode arg : array(node, "args", policy.maxArgs())) {
            String value = text(arg, "args[" + args.size() + "]");
            if (value.indexOf('\0') >= 0) {
                throw ApiException.badRequest("args[" + args.size() + "] must not contain a NUL character");
            }
            args.add(value);
        }
        return args;
    }

    private List<RunFile> files(JsonNode node) {
        List<RunFile> files = new ArrayList<>();
        Set<String> paths = new TreeSet<>();
        for (JsonNode file : array(node, "files", policy.maxFiles())) {
            String where = "files[" + files.size() + "]";
            if (!file.isObject()) {
                throw ApiException.badRequest(where + " must be an object with path and content");
            }
            String path = relativePath(text(file.get("path"), where + ".path"), where + ".path");
            if (!paths.add(path)) {
                throw ApiException.badRequest(where + ".path repeats " + path);
            }
            String encoding = file.hasNonNull("encoding") ? text(file.get("encoding"), where + ".encoding") : "utf8";
            String content = text(file.get("content"), where + ".content");
            long size = switch (encoding) {
                case "utf8" -> content.getBytes(StandardCharsets.UTF_8).length;
                case "base64" -> base64Size(content, where);
                default -> throw ApiException.badRequest(where + ".encoding must be utf8 or base64: " + encoding);
            };
            if (size > policy.maxFileBytes()) {
                throw ApiException.tooLarge(where + " is " + size + " bytes, over the limit of "
                        + policy.maxFileBytes());
            }
            files.add(new RunFile(path, content, encoding));
        }
        return files;
    }

    private List<TestCase> tests(JsonNode node) {
        List<TestCase> tests = new ArrayList<>();
        for (JsonNode test : array(node, "tests", policy.maxTests())) {
            String where = "tests[" + tests.size() + "]";
            if (!test.isObject()) {
                throw ApiException.badRequest(where + " must be an object with input and expectedOutput");
            }
            String input = optionalText(test.get("input"), where + ".input");
            String expected = text(test.get("expectedOutput"), where + ".expectedOutput");
            capBytes(input == null ? "" : input, where + ".input", policy.maxInputBytes());
            tests.add(new TestCase(input == null ? "" : input, expected));
        }
        return tests;
    }

    private static String relativePath(String path, String field) {
        if (path.isEmpty() || path.length() > MAX_PATH_CHARS || path.startsWith("/") || path.indexOf('\0') >= 0
                || path.indexOf('\\') >= 0) {
            throw ApiException.badRequest(field + " must be a relative path of 1 to " + MAX_PATH_CHARS
                    + " characters, without NUL or backslash: " + path);
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw ApiException.badRequest(field + " must not hold empty, '.' or '..' segments: " + path);
            }
        }
        if (path.equals("main.py")) {
            throw ApiException.badRequest(field + " must not be main.py, which holds the code");
        }
        return path;
    }

    private static long base64Size(String content, String where) {
        try {
            return Base64.getDecoder().decode(content).length;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where + ".content is not valid base64");
        }
    }

    private static Iterable<JsonNode> array(JsonNode node, String field, int max) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.badRequest(field + " must be an array");
        }
        if (node.size() > max) {
            throw ApiException.badRequest(field + " holds " + node.size() + " items, over the limit of " + max);
        }
        return node;
    }

    private static int boundedInt(JsonNode node, String field, int min, int max, int fallback) {
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < min || node.asInt() > max) {
            throw ApiException.badRequest(field + " must be an integer from " + min + " to " + max + ": " + node);
        }
        return node.asInt();
    }

    private static String optionalText(JsonNode node, String field) {
        return node == null || node.isNull() ? null : text(node, field);
    }

    private static String text(JsonNode node, String field) {
        if (node == null || !node.isTextual()) {
            throw ApiException.badRequest(field + " must be a string");
        }
        return node.asText();
    }

    private static void capBytes(String value, String field, int max) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > max) {
            throw ApiException.tooLarge(field + " is " + bytes + " bytes, over the limit of " + max);
        }
    }
}
