package dev.sandpod.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parser at the edges: each cap exactly at and one past its limit, and the inputs that break parsers. */
class RunRequestParserTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final LimitPolicy POLICY = Parsed.POLICY;

    @Test
    @DisplayName("code of exactly max-code-bytes of UTF-8 is taken, one byte more is 413, counted in bytes not chars")
    void codeCap() {
        String euros = "€".repeat(POLICY.maxCodeBytes() / 3);
        String atCap = euros + "#".repeat(POLICY.maxCodeBytes() - euros.length() * 3);
        assertEquals(200, parse(Map.of("code", atCap)).status());
        assertEquals(413, parse(Map.of("code", atCap + "#")).status());
        assertEquals(413, parse(Map.of("code", euros + "€")).status());
    }

    @Test
    void inputCapAppliesToInputStdinAndTestInputs() {
        String atCap = "a".repeat(POLICY.maxInputBytes());
        assertEquals(200, parse(Map.of("code", "x", "input", atCap)).status());
        assertEquals(413, parse(Map.of("code", "x", "input", atCap + "a")).status());
        assertEquals(413, parse(Map.of("code", "x", "stdin", atCap + "a")).status());
        assertEquals(200, parse(Map.of("code", "x", "tests", List.of(test(atCap)))).status());
        assertEquals(413, parse(Map.of("code", "x", "tests", List.of(test(atCap + "a")))).status());
    }

    @Test
    void limitsAreTakenAtTheirBoundsAndRefusedOnePast() {
        assertEquals(1, parse(Map.of("code", "x", "timeoutMs", 1)).request().limits().timeMs());
        assertEquals(POLICY.maxTimeoutMs(), parse(Map.of("code", "x", "timeoutMs", POLICY.maxTimeoutMs())).request()
                .limits().timeMs());
        assertEquals(400, parse(Map.of("code", "x", "timeoutMs", 0)).status());
        assertEquals(400, parse(Map.of("code", "x", "timeoutMs", POLICY.maxTimeoutMs() + 1)).status());
        assertEquals(POLICY.minMemoryMb(), parse(Map.of("code", "x", "memoryMb", POLICY.minMemoryMb())).request()
                .limits().memoryMb());
        assertEquals(POLICY.maxMemoryMb(), parse(Map.of("code", "x", "memoryMb", POLICY.maxMemoryMb())).request()
                .limits().memoryMb());
        assertEquals(400, parse(Map.of("code", "x", "memoryMb", POLICY.minMemoryMb() - 1)).status());
        assertEquals(400, parse(Map.of("code", "x", "memoryMb", POLICY.maxMemoryMb() + 1)).status());
    }

    @Test
    void listsAreTakenAtTheirCountAndRefusedOnePast() {
        assertEquals(200, parse(Map.of("code", "x", "args", Collections.nCopies(POLICY.maxArgs(), "a"))).status());
        assertEquals(400, parse(Map.of("code", "x", "args", Collections.nCopies(POLICY.maxArgs() + 1, "a")))
                .status());
        assertEquals(200, parse(Map.of("code", "x", "files", files(POLICY.maxFiles()))).status());
        assertEquals(400, parse(Map.of("code", "x", "files", files(POLICY.maxFiles() + 1))).status());
        assertEquals(200, parse(Map.of("code", "x", "tests", Collections.nCopies(POLICY.maxTests(), test(""))))
                .status());
        assertEquals(400, parse(Map.of("code", "x", "tests", Collections.nCopies(POLICY.maxTests() + 1,
                test("")))).status());
    }

    @Test
    @DisplayName("a file of exactly max-file-bytes is taken in utf8 and base64, one byte more is 413")
    void fileCap() {
        byte[] atCap = new byte[POLICY.maxFileBytes()];
        assertEquals(200, parse(file("a", "a".repeat(atCap.length), "utf8")).status());
        assertEquals(413, parse(file("a", "a".repeat(atCap.length + 1), "utf8")).status());
        assertEquals(200, parse(file("a", Base64.getEncoder().encodeToString(atCap), "base64")).status());
        assertEquals(413, parse(file("a", Base64.getEncoder().encodeToString(new byte[atCap.length + 1]), "base64"))
                .status());
    }

    @Test
    void pathsAreTakenAt200CharsAnd255ByteNames() {
        String name = "é".repeat(127) + "a";
        assertEquals(255, Parsed.utf8(name));
        assertEquals(200, parse(file(name, "", "utf8")).status());
        assertEquals(400, parse(file(name + "a", "", "utf8")).status());
        assertEquals(200, parse(file("a/".repeat(99) + "bb", "", "utf8")).status());
        assertEquals(400, parse(file("a/".repeat(99) + "bbb", "", "utf8")).status());
    }

    @Test
    @DisplayName("regression: a name over 255 bytes of UTF-8 was taken and failed in the runner as internal_error")
    void refusesANameTheRunnerCannotCreate() {
        Parsed parsed = parse(file("é".repeat(150), "x", "utf8"));
        assertEquals(400, parsed.status());
        assertTrue(parsed.detail().contains("255 bytes"), parsed.detail());
    }

    @Test
    @DisplayName("regression: a path that is also another file's directory was taken and failed in the runner")
    void refusesAFileThatIsAlsoADirectory() {
        assertEquals(400, parse(files("a", "a/b")).status());
        assertEquals(400, parse(files("a/b", "a")).status());
        assertEquals(400, parse(files("x/y/z", "x/y")).status());
        assertEquals(200, parse(files("a/b", "a/c", "ab")).status());
    }

    @Test
    @DisplayName("regression: main.py/x was taken and failed in the runner, since main.py is the code's file")
    void refusesAPathUnderMainPy() {
        assertTrue(parse(files("main.py/x")).detail().contains("main.py, which is a file"));
        assertTrue(parse(files("main.py")).detail().contains("holds the code"));
        assertEquals(200, parse(files("main.pyc", "lib/main.py")).status());
    }

    @Test
    @DisplayName("regression: unpadded base64 passed Java's decoder and failed the runner's strict one")
    void refusesUnpaddedBase64() {
        assertEquals(400, parse(file("a", "YQ", "base64")).status());
        assertEquals(200, parse(file("a", "YQ==", "base64")).status());
        assertEquals(400, parse(file("a", "Y Q==", "base64")).status());
    }

    @Test
    @DisplayName("regression: an argument over MAX_ARG_STRLEN was taken and judge mode failed to exec the program")
    void argumentCaps() {
        String atCap = "a".repeat(RunRequestParser.MAX_ARG_BYTES);
        assertEquals(200, parse(Map.of("code", "x", "args", List.of(atCap))).status());
        assertEquals(413, parse(Map.of("code", "x", "args", List.of(atCap + "a"))).status());
        int each = RunRequestParser.MAX_ARGS_TOTAL_BYTES / 16;
        assertEquals(200, parse(Map.of("code", "x", "args", Collections.nCopies(16, "a".repeat(each)))).status());
        assertEquals(413, parse(Map.of("code", "x", "args", Collections.nCopies(17, "a".repeat(each)))).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e309", "-1e309", "-0", "-0.0", "1.0", "1E3", "2147483648", "9223372036854775808",
        "18446744073709551616", "1e-400", "1e999999999", "NaN", "\"1000\"", "[1000]", "true"})
    @DisplayName("huge, fractional, negative-zero and non-numbers are 400 for timeoutMs and memoryMb")
    void refusesNumbersThatAreNotSmallIntegers(String number) {
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"timeoutMs\":" + number + "}", true).status());
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"memoryMb\":" + number + "}", true).status());
    }

    @Test
    @DisplayName("10^1000 and a number of 2000 digits are refused as JSON, not parsed into a BigInteger")
    void refusesNumbersPastJacksonsLength() {
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"timeoutMs\":1" + "0".repeat(1000) + "}", true).status());
        assertTrue(Parsed.of("{\"code\":\"x\",\"timeoutMs\":0." + "0".repeat(2000) + "1}", true).detail()
                .startsWith("the body is not valid JSON"));
    }

    @ParameterizedTest
    @ValueSource(ints = {10, 998, 1001, 100_000})
    void deepNestingIsRefusedWithoutAStackOverflow(int depth) {
        assertEquals(400, Parsed.of("[".repeat(depth) + "]".repeat(depth), true).status());
        assertEquals(400, Parsed.of("{\"code\":" + "[".repeat(depth) + "]".repeat(depth) + "}", true).status());
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"args\":" + "[".repeat(depth) + "]".repeat(depth) + "}", true)
                .status());
    }

    @Test
    void duplicateKeysAreRefusedAtAnyDepth() {
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"code\":\"y\"}", false).status());
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"files\":[{\"path\":\"a\",\"path\":\"b\",\"content\":\"\"}]}", true)
                .status());
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"input\":\"a\",\"stdin\":\"b\"}", true).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ff", "c080", "c0af", "e080af", "eda080", "e282", "f888808080", "80", "f4908080"})
    @DisplayName("invalid UTF-8 (stray, overlong as in regression C0 80 = NUL, surrogate, truncated, too large) is 400")
    void refusesInvalidUtf8(String hex) {
        byte[] bad = HexFormat.of().parseHex(hex);
        byte[] body = ("{\"code\":\"a" + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] spliced = new byte[body.length + bad.length];
        System.arraycopy(body, 0, spliced, 0, 10);
        System.arraycopy(bad, 0, spliced, 10, bad.length);
        System.arraycopy(body, 10, spliced, 10 + bad.length, body.length - 10);
        Parsed parsed = Parsed.of(spliced, true);
        assertEquals(400, parsed.status());
        assertEquals("the body is not valid UTF-8 (at byte 10)", parsed.detail());
    }

    @Test
    @DisplayName("regression: a UTF-16 body was guessed from its first bytes and taken, though sent as UTF-8")
    void refusesUtf16Bodies() {
        assertEquals(400, Parsed.of("{\"code\":\"print(1)\"}".getBytes(StandardCharsets.UTF_16), true).status());
        assertEquals(400, Parsed.of("{\"code\":\"print(1)\"}".getBytes(StandardCharsets.UTF_16LE), true).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\\ud800", "\\udc00", "x\\ud800", "\\ud800\\ud800", "\\ude00\\ud83d"})
    @DisplayName("regression: an unpaired surrogate was taken and reached the program as '?'")
    void refusesUnpairedSurrogatesInEveryString(String escape) {
        for (String body : List.of("{\"code\":\"" + escape + "\"}", "{\"code\":\"x\",\"input\":\"" + escape + "\"}",
                "{\"code\":\"x\",\"args\":[\"" + escape + "\"]}",
                "{\"code\":\"x\",\"files\":[{\"path\":\"" + escape + "\",\"content\":\"\"}]}",
                "{\"code\":\"x\",\"files\":[{\"path\":\"a\",\"content\":\"" + escape + "\"}]}",
                "{\"code\":\"x\",\"tests\":[{\"input\":\"\",\"expectedOutput\":\"" + escape + "\"}]}")) {
            Parsed parsed = Parsed.of(body, true);
            assertEquals(400, parsed.status(), body);
            assertTrue(parsed.detail().contains("unpaired UTF-16 surrogate"), parsed.detail());
        }
    }

    @Test
    void surrogatePairsAreKept() {
        assertEquals("print('\ud83d\ude00')", Parsed.of("{\"code\":\"print('\\ud83d\\ude00')\"}", true).request().code());
        assertEquals("print('\ud83d\ude00')", Parsed.of("{\"code\":\"print('😀')\"}", true).request().code());
    }

    @Test
    @DisplayName("a NUL is the program's business in code and input, refused in args and paths, and invalid raw in JSON")
    void nulCharacters() {
        assertEquals("a\0b", Parsed.of("{\"code\":\"a\\u0000b\"}", true).request().code());
        assertEquals("\0", Parsed.of("{\"code\":\"x\",\"input\":\"\\u0000\"}", true).request().input());
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"args\":[\"a\\u0000\"]}", true).status());
        assertEquals(400, Parsed.of("{\"code\":\"x\",\"files\":[{\"path\":\"a\\u0000\",\"content\":\"\"}]}", true).status());
        assertEquals(400, Parsed.of("{\"code\":\"a\u0000b\"}", true).status());
    }

    @Test
    @DisplayName("a UTF-8 BOM before the body is skipped; one inside code is kept verbatim")
    void byteOrderMarks() {
        byte[] json = "{\"code\":\"\ufeffprint(1)\"}".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[json.length + 3];
        withBom[0] = (byte) 0xef;
        withBom[1] = (byte) 0xbb;
        withBom[2] = (byte) 0xbf;
        System.arraycopy(json, 0, withBom, 3, json.length);
        assertEquals("\ufeffprint(1)", Parsed.of(withBom, true).request().code());
    }

    @Test
    @DisplayName("regression: a refusal quoted the whole offending value, a 4 MB body gave a 4 MB detail")
    void detailsQuoteShortenedValues() {
        String huge = "[" + "1,".repeat(100_000) + "1]";
        Parsed parsed = Parsed.of("{\"code\":\"x\",\"timeoutMs\":" + huge + "}", true);
        assertEquals(400, parsed.status());
        assertTrue(parsed.detail().length() < 200, parsed.detail());
        StringBuilder unknown = new StringBuilder("{\"code\":\"x\"");
        for (int i = 0; i < 1000; i++) {
            unknown.append(",\"").append("f".repeat(100)).append(i).append("\":1");
        }
        Parsed many = Parsed.of(unknown.append('}').toString(), true);
        assertTrue(many.detail().contains("and 995 more"), many.detail());
        assertTrue(many.detail().length() < 1000, many.detail());
    }

    private static Parsed parse(Map<String, Object> body) {
        try {
            return Parsed.of(MAPPER.writeValueAsBytes(body), true);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> file(String path, String content, String encoding) {
        return Map.of("code", "x", "files", List.of(Map.of("path", path, "content", content, "encoding", encoding)));
    }

    private static Map<String, Object> files(String... paths) {
        return Map.of("code", "x", "files", Arrays.stream(paths).map(path -> Map.of("path", path, "content", ""))
                .toList());
    }

    private static List<Map<String, String>> files(int count) {
        return IntStream.range(0, count).mapToObj(i -> Map.of("path", "f" + i, "content", "")).toList();
    }

    private static Map<String, String> test(String input) {
        return Map.of("input", input, "expectedOutput", "");
    }
}
