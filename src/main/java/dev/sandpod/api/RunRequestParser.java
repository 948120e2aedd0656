package dev.sandpod.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.sandpod.run.PythonRuntime;
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
            "tests", "runtime", "async",
            "callbackUrl");
    private static final int MAX_PATH_CHARS = 200;
    private static final int MAX_URL_CHARS = 2048;
    /** Linux's NAME_MAX: the runner cannot create a longer file name. */
    private static final int MAX_NAME_BYTES = 255;
    /**
     * Linux's MAX_ARG_STRLEN less the NUL: a longer argument cannot be exec'd, and judge mode execs the program with the
     * arguments for every test.
     */
    static final int MAX_ARG_BYTES = 131_071;
    /** All arguments together: half of the 2 MiB ARG_MAX of an 8 MiB stack, so argv and the environment always fit. */
    static final int MAX_ARGS_TOTAL_BYTES = 1 << 20;
    private static final String MAIN = "main.py";
    private static final int MAX_UNKNOWN_SHOWN = 5;

    private final LimitPolicy policy;
    private final Set<String> runtimes;

    /** A parser for an executor that runs the default runtime only. */
    RunRequestParser(LimitPolicy policy) {
        this(policy, List.of(PythonRuntime.DEFAULT));
    }

    /** @param runtimes the names a request may give as its {@code runtime}, in the order a refusal lists them */
    RunRequestParser(LimitPolicy policy, List<String> runtimes) {
        this.policy = policy;
        this.runtimes = new LinkedHashSet<>(runtimes);
    }

    /** The runtime names, in their listed order. */
    List<String> runtimes() {
        return List.copyOf(runtimes);
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
                tests(body.get("tests")), runtime(body.get("runtime")));
    }

    /** Whether the body asks for an asynchronous run ({@code "async": true}); absent means no. */
    static boolean async(JsonNode body) {
        JsonNode node = body.get("async");
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw ApiException.badRequest("async must be true or false");
        }
        return node.booleanValue();
    }

    /** The URL an asynchronous run's end is posted to, unchecked, or null; at most 2048 characters. */
    static String callbackUrl(JsonNode body) {
        String url = optionalText(body.get("callbackUrl"), "callbackUrl");
        if (url != null && url.length() > MAX_URL_CHARS) {
            throw ApiException.badRequest("callbackUrl is longer than " + MAX_URL_CHARS + " characters");
        }
        return url;
    }

    private String runtime(JsonNode node) {
        String name = optionalText(node, "runtime");
        if (name == null) {
            return PythonRuntime.DEFAULT;
        }
        if (!runtimes.contains(name)) {
            throw ApiException.badRequest("runtime " + Shown.text(name) + " is unknown; the known runtimes are "
                    + runtimes + " (GET /v1/runtimes lists them)");
        }
        return name;
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
            List<String> shown = unknown.stream().limit(MAX_UNKNOWN_SHOWN).map(Shown::text).toList();
            throw ApiException.badRequest("unknown fields " + shown + (unknown.size() > shown.size() ? " and "
                    + (unknown.size() - shown.size()) + " more" : "") + "; known fields are " + new TreeSet<>(FIELDS));
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
        long total = 0;
        for (JsonNode arg : array(node, "args", policy.maxArgs())) {
            String field = "args[" + args.size() + "]";
            String value = text(arg, field);
            if (value.indexOf('\0') >= 0) {
                throw ApiException.badRequest(field + " must not contain a NUL character");
            }
            total += capBytes(value, field, MAX_ARG_BYTES);
            if (total > MAX_ARGS_TOTAL_BYTES) {
                throw ApiException.tooLarge("args are over " + MAX_ARGS_TOTAL_BYTES + " bytes in all");
            }
            args.add(value);
        }
        return args;
    }

    private List<RunFile> files(JsonNode node) {
        List<RunFile> files = new ArrayList<>();
        FileTree tree = new FileTree(MAIN);
        for (JsonNode file : array(node, "files", policy.maxFiles())) {
            String where = "files[" + files.size() + "]";
            if (!file.isObject()) {
                throw ApiException.badRequest(where + " must be an object with path and content");
            }
            String path = relativePath(text(file.get("path"), where + ".path"), where + ".path");
            tree.add(path, where + ".path");
            String encoding = file.hasNonNull("encoding") ? text(file.get("encoding"), where + ".encoding") : "utf8";
            String content = text(file.get("content"), where + ".content");
            long size = switch (encoding) {
                case "utf8" -> content.getBytes(StandardCharsets.UTF_8).length;
                case "base64" -> base64Size(content, where);
                default -> throw ApiException.badRequest(where + ".encoding must be utf8 or base64: "
                        + Shown.text(encoding));
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
                    + " characters, without NUL or backslash: " + Shown.text(path));
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw ApiException.badRequest(field + " must not hold empty, '.' or '..' segments: " + Shown.text(path));
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw ApiException.badRequest(field + " holds a name over " + MAX_NAME_BYTES + " bytes of UTF-8: "
                        + Shown.text(part));
            }
        }
        return path;
    }

    private static long base64Size(String content, String where) {
        // the runner decodes strictly (padded, alphabet only); Java's decoder alone would also take unpadded text
        if (content.length() % 4 != 0) {
            throw ApiException.badRequest(where + ".content is not valid base64: its length is not a multiple of 4");
        }
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
            throw ApiException.badRequest(field + " must be an integer from " + min + " to " + max + ": "
                    + Shown.text(node.toString()));
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
        String value = node.asText();
        int unpaired = unpairedSurrogate(value);
        if (unpaired >= 0) {
            // JSON lets "\ud800" through, but no UTF-8 can hold it: the runner would get a '?' in its place.
            throw ApiException.badRequest(field + " holds an unpaired UTF-16 surrogate (\\u"
                    + Integer.toHexString(value.charAt(unpaired)) + ") at character " + unpaired
                    + "; send valid Unicode");
        }
        return value;
    }

    private static int unpairedSurrogate(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static int capBytes(String value, String field, int max) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > max) {
            throw ApiException.tooLarge(field + " is " + bytes + " bytes, over the limit of " + max);
        }
        return bytes;
    }

    /** The files of a run as the runner will lay them out: no path may be both a file and a directory. */
    private static final class FileTree {
        private final Set<String> files = new HashSet<>();
        private final Set<String> directories = new HashSet<>();
        private final String code;

        FileTree(String code) {
            this.code = code;
            files.add(code);
        }

        void add(String path, String field) {
            if (path.equals(code)) {
                throw ApiException.badRequest(field + " must not be " + code + ", which holds the code");
            }
            if (files.contains(path)) {
                throw ApiException.badRequest(field + " repeats " + Shown.text(path));
            }
            if (directories.contains(path)) {
                throw ApiException.badRequest(field + " is also the directory of another file: " + Shown.text(path));
            }
            for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
                String directory = path.substring(0, slash);
                if (files.contains(directory)) {
                    throw ApiException.badRequest(field + " lies under " + Shown.text(directory)
                            + ", which is a file");
                }
                directories.add(directory);
            }
            files.add(path);
        }
    }
}
