package dev.sandpod.api;

import java.util.List;

import dev.sandpod.run.RunRequest;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The request's {@code runtime}: one of the executor's runtimes, else a 400 that names them. */
class RuntimeFieldTest {
    private static final RunRequestParser PARSER = new RunRequestParser(Parsed.POLICY,
            List.of("python", "python-scientific"));

    @Test
    void absentRuntimeIsTheDefault() {
        assertEquals("python", parse("{\"code\":\"x\"}", true).runtime());
    }

    @Test
    void listedRuntimeIsKept() {
        assertEquals("python-scientific", parse("{\"code\":\"x\",\"runtime\":\"python-scientific\"}", true).runtime());
    }

    @Test
    @DisplayName("an unknown runtime is a 400 naming the known ones, on the seed's lenient route too")
    void unknownRuntimeIsRefusedNamingTheKnownOnes() {
        for (boolean strict : List.of(true, false)) {
            ApiException refused = assertThrows(ApiException.class,
                    () -> parse("{\"code\":\"x\",\"runtime\":\"node\"}", strict));
            assertEquals(400, refused.problem().status());
            assertEquals("runtime node is unknown; the known runtimes are [python, python-scientific]"
                    + " (GET /v1/runtimes lists them)", refused.problem().detail());
        }
    }

    @Test
    void runtimeThatIsNotAStringIsRefused() {
        ApiException refused = assertThrows(ApiException.class, () -> parse("{\"code\":\"x\",\"runtime\":1}", true));
        assertEquals("runtime must be a string", refused.problem().detail());
    }

    private static RunRequest parse(String body, boolean strict) {
        return PARSER.parse(Json.read(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)), strict);
    }
}
