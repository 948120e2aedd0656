package dev.sandpod.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.sandpod.run.RunFile;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.TestCase;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static dev.sandpod.Bytes.splice;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Properties of the request parser over generated bodies: whatever the bytes, a body becomes a request within the limits
 * or a 400/413 refusal, never another exception; and a valid request keeps every field it sent.
 */
class RunRequestParserPropertyTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** JSON values that have broken parsers: huge and negative-zero numbers, deep nesting, surrogates, NULs, BOMs. */
    private static final List<String> ODD_VALUES = List.of("1e309", "-1e309", "-0", "-0.0", "0.0", "1.0", "1E3",
            "2147483647", "2147483648", "-2147483649", "9223372036854775808", "18446744073709551616", "1e-400",
            "1" + "0".repeat(999), "1" + "0".repeat(1000), "0." + "0".repeat(2000) + "1", "1e999999999", "NaN",
            "Infinity", "null", "true", "[]", "{}", "[null]", "[1]", "[\"\"]", "{\"path\":\"a\"}", "\"\"", "\"\\u0000\"",
            "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"", "\"\\ufeff\"", "\"\\ud800\\ud800\"", "\"a\\u0000b\"",
            "[".repeat(999) + "]".repeat(999), "[".repeat(1001) + "]".repeat(1001), "\"" + "x".repeat(70_000) + "\"");
    private static final List<String> FIELDS = List.of("code", "input", "stdin", "timeoutMs", "memoryMb", "args",
            "files", "tests", "unknown");
    /** Byte sequences no UTF-8 decoder should take, and the ones that trip lenient ones. */
    private static final List<byte[]> ODD_BYTES = List.of(new byte[]{(byte) 0xff}, new byte[]{(byte) 0xc0, (byte) 0x80},
            new byte[]{(byte) 0xed, (byte) 0xa0, (byte) 0x80}, new byte[]{(byte) 0xe2, (byte) 0x82},
            new byte[]{(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, new byte[]{(byte) 0x80},
            new byte[]{(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, new byte[]{(byte) 0xfe, (byte) 0xff}, new byte[]{0},
            "\\u".getBytes(StandardCharsets.US_ASCII), "\"".getBytes(StandardCharsets.US_ASCII),
            "{".repeat(2000).getBytes(StandardCharsets.US_ASCII), ",".getBytes(StandardCharsets.US_ASCII));

    @Property(tries = 2000)
    void anyBytesParseOrAreRefused(@ForAll byte[] body, @ForAll boolean strict) {
        Parsed.of(body, strict).assertParsedOrRefused();
    }

    @Property(tries = 3000)
    void mutatedValidBodiesParseOrAreRefused(@ForAll("mutatedBodies") byte[] body, @ForAll boolean strict) {
        Parsed.of(body, strict).assertParsedOrRefused();
    }

    @Property(tries = 2000)
    void anyValueOfAnyFieldParsesOrIsRefused(@ForAll("fields") String field, @ForAll("values") String value,
                                             @ForAll boolean strict) {
        String body = field.equals("code") ? "{\"code\":" + value + "}" : "{\"code\":\"x\",\"" + field + "\":" + value + "}";
        Parsed.of(body, strict).assertParsedOrRefused();
    }

    @Property(tries = 1000)
    void anyValueInsideAFileParsesOrIsRefused(@ForAll("values") String value,
                                              @ForAll("fileKeys") String key) {
        Parsed.of("{\"code\":\"x\",\"files\":[{\"path\":\"a\",\"content\":\"\",\"" + key + "\":" + value + "}]}", true)
                .assertParsedOrRefused();
    }

    @Property(tries = 500)
    void anyValueInsideATestParsesOrIsRefused(@ForAll("values") String value,
                                              @ForAll("testKeys") String key) {
        Parsed.of("{\"code\":\"x\",\"tests\":[{\"input\":\"\",\"expectedOutput\":\"\",\"" + key + "\":" + value
                + "}]}", true).assertParsedOrRefused();
    }

    @Property(tries = 1000)
    void validRequestsRoundTripTheirFields(@ForAll("validRequests") RunRequest expected, @ForAll boolean strict)
            throws JsonProcessingException {
        Parsed parsed = Parsed.of(MAPPER.writeValueAsBytes(body(expected)), strict);
        assertEquals(expected, parsed.request(), parsed::detail);
    }

    @Property(tries = 300)
    void stdinIsTheSameFieldAsInput(@ForAll("validRequests") RunRequest expected) throws JsonProcessingException {
        Map<String, Object> body = body(expected);
        body.put("stdin", body.remove("input"));
        assertEquals(expected, Parsed.of(MAPPER.writeValueAsBytes(body), true).request());
    }

    @Property(tries = 300)
    void unknownFieldsAreRefusedOnV1AndIgnoredOnTheSeedRoute(@ForAll("validRequests") RunRequest expected,
                                                             @ForAll("unknownNames") String name)
            throws JsonProcessingException {
        Map<String, Object> body = body(expected);
        body.put(name, 1);
        byte[] json = MAPPER.writeValueAsBytes(body);
        assertEquals(400, Parsed.of(json, true).status());
        assertEquals(expected, Parsed.of(json, false).request());
    }

    @Provide
    Arbitrary<byte[]> mutatedBodies() {
        Arbitrary<byte[]> valid = validRequests().map(request -> {
            try {
                return MAPPER.writeValueAsBytes(body(request));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        });
        return Combinators.combine(valid, Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMinSize(1)
                .ofMaxSize(4), Arbitraries.of(ODD_BYTES), Arbitraries.integers().between(0, 4))
                .as(RunRequestParserPropertyTest::mutate);
    }

    /** One to four mutations at random places: replace, insert, delete, or cut the rest. */
    private static byte[] mutate(byte[] body, List<Integer> places, byte[] odd, int kind) {
        byte[] out = body;
        for (int place : places) {
            int at = out.length == 0 ? 0 : place % out.length;
            out = switch ((kind + place) % 5) {
                case 0 -> splice(out, at, Math.min(1, out.length - at), odd);
                case 1 -> splice(out, at, 0, odd);
                case 2 -> splice(out, at, Math.min(3, out.length - at), new byte[0]);
                case 3 -> Arrays.copyOf(out, at);
                default -> splice(out, at, 0, Arrays.copyOfRange(out, at, Math.min(out.length, at + 16)));
            };
        }
        return out;
    }

    @Provide
    Arbitrary<String> fields() {
        return Arbitraries.of(FIELDS);
    }

    @Provide
    Arbitrary<String> fileKeys() {
        return Arbitraries.of("path", "content", "encoding");
    }

    @Provide
    Arbitrary<String> testKeys() {
        return Arbitraries.of("input", "expectedOutput");
    }

    @Provide
    Arbitrary<String> unknownNames() {
        return text(1, 20).filter(name -> !RunRequestParser.FIELDS.contains(name));
    }

    @Provide
    Arbitrary<String> values() {
        Arbitrary<String> strings = text(0, 50).map(RunRequestParserPropertyTest::json);
        Arbitrary<String> numbers = Arbitraries.oneOf(Arbitraries.integers().map(String::valueOf),
                Arbitraries.bigIntegers().map(String::valueOf), Arbitraries.doubles().map(String::valueOf));
        Arbitrary<String> arrays = Arbitraries.oneOf(strings, numbers).list().ofMaxSize(70)
                .map(items -> "[" + String.join(",", items) + "]");
        return Arbitraries.oneOf(Arbitraries.of(ODD_VALUES), strings, numbers, arrays);
    }

    /** Requests the parser must take, built as the parser would build them, so a round trip compares whole records. */
    @Provide
    Arbitrary<RunRequest> validRequests() {
        Arbitrary<String> code = text(1, 200);
        Arbitrary<String> input = text(0, 200);
        Arbitrary<List<String>> args = text(0, 20).map(arg -> arg.replace('\0', ' ')).list().ofMaxSize(5);
        Arbitrary<List<TestCase>> tests = Combinators.combine(input, input).as(TestCase::new).list().ofMaxSize(3);
        Arbitrary<Integer> timeoutMs = Arbitraries.integers().between(1, Parsed.POLICY.maxTimeoutMs());
        Arbitrary<Integer> memoryMb = Arbitraries.integers().between(Parsed.POLICY.minMemoryMb(),
                Parsed.POLICY.maxMemoryMb());
        return Combinators.combine(code, input, args, files(), timeoutMs, memoryMb, tests)
                .as((c, i, a, f, t, m, cases) -> new RunRequest(c, i, a, f, Parsed.POLICY.limits(t, m), cases));
    }

    private static Arbitrary<List<RunFile>> files() {
        Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'z').withChars("._-é").ofMinLength(1)
                .ofMaxLength(12).filter(part -> !part.equals(".") && !part.equals(".."));
        Arbitrary<RunFile> utf8 = Combinators.combine(name, text(0, 100))
                .as((path, content) -> new RunFile(path, content, "utf8"));
        Arbitrary<RunFile> base64 = Combinators.combine(name, Arbitraries.bytes().array(byte[].class).ofMaxSize(100))
                .as((path, content) -> new RunFile(path, Base64.getEncoder().encodeToString(content), "base64"));
        // each file in a directory of its own index, so that no path is another's directory
        return Arbitraries.oneOf(utf8, base64).list().ofMaxSize(4).map(files -> {
            List<RunFile> placed = new ArrayList<>();
            for (RunFile file : files) {
                placed.add(new RunFile("d" + placed.size() + "/" + file.path(), file.content(), file.encoding()));
            }
            return placed;
        });
    }

    /**
     * Any text without unpaired surrogates: controls, NUL, BOM and every BMP character, and U+E000 turned into a
     * surrogate pair so that text beyond the BMP comes too.
     */
    private static Arbitrary<String> text(int minLength, int maxLength) {
        return Arbitraries.strings().withCharRange('\0', '\ud7ff').withCharRange('\ue000', '\uffff')
                .withChars('\ue000', '\ufeff', '\0').ofMinLength(minLength).ofMaxLength(maxLength)
                .map(text -> text.replace("\ue000", "\ud83d\ude00"));
    }

    private static Map<String, Object> body(RunRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", request.code());
        body.put("input", request.input());
        body.put("timeoutMs", request.limits().timeMs());
        body.put("memoryMb", request.limits().memoryMb());
        body.put("args", request.args());
        body.put("files", request.files());
        if (request.judged()) {
            body.put("tests", request.tests());
        }
        return body;
    }

    private static String json(String value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
