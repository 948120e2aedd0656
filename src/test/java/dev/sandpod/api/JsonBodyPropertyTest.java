package dev.sandpod.api;

import java.util.List;
import java.util.Set;

import io.helidon.http.HeaderNames;
import io.helidon.http.WritableHeaders;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Content-Type check of a run's body, through Helidon's own header parsing: JSON in UTF-8, 415 or 400, nothing else. */
class JsonBodyPropertyTest {
    @Property(tries = 3000)
    void anyContentTypeIsTakenOrRefusedWith400Or415(@ForAll("contentTypes") String value) {
        int status = status(value);
        assertTrue(Set.of(200, 400, 415).contains(status), () -> value + " gave " + status);
    }

    @Property(tries = 1000)
    void anyStringAsContentTypeIsTakenOrRefusedWith400Or415(@ForAll String value) {
        int status = status(value);
        assertTrue(Set.of(200, 400, 415).contains(status), () -> value + " gave " + status);
    }

    @Provide
    Arbitrary<String> contentTypes() {
        Arbitrary<String> types = Arbitraries.of("application", "APPLICATION", "text", "", "*", "applicati\u00f6n", "a b");
        Arbitrary<String> subtypes = Arbitraries.of("json", "JSON", "problem+json", "+json", "json+", "jsonx", "", "*",
                "x/json");
        Arbitrary<List<String>> parameters = Arbitraries.of("charset=utf-8", "charset=UTF-8", "charset=\"utf-8\"",
                "charset=latin1", "charset=", "charset", "", "a=b", "q=0.5", "charset=\"", "=", "charset=utf-8;charset=x",
                "a=\"b;c\"", "\u0000", "charset=utf\u00e9").list().ofMaxSize(3);
        Arbitrary<String> separators = Arbitraries.of(";", "; ", " ;", ";;", ",", "");
        return Combinators.combine(types, subtypes, parameters, separators, Arbitraries.of("/", "", "//", " / "))
                .as((type, subtype, params, separator, slash) -> type + slash + subtype
                        + (params.isEmpty() ? "" : separator + String.join(separator, params)));
    }

    static int status(String value) {
        try {
            JsonBody.requireJson(headers(value));
            return 200;
        } catch (ApiException e) {
            return e.problem().status();
        }
    }

    static WritableHeaders<?> headers(String value) {
        return WritableHeaders.create().set(HeaderNames.CONTENT_TYPE, value);
    }
}
