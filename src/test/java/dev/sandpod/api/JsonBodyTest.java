package dev.sandpod.api;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.sandpod.api.JsonBodyPropertyTest.headers;
import static dev.sandpod.api.JsonBodyPropertyTest.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which Content-Types a run's body may have, and how the others are refused. */
class JsonBodyTest {
    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
        "application/problem+json", "application/vnd.sandpod.run+json", "APPLICATION/JSON", "Application/Json; Charset=utf-8",
        "application/json; charset=\"utf-8\"", "application/json; a=b"})
    @DisplayName("JSON in UTF-8 is taken, whatever the case of its media type")
    void takesJson(String value) {
        assertEquals(200, status(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/xml", "application/jsonx", "text/json", "*/*",
        "application/json; charset=latin1", "application/json; charset=utf-16", "multipart/form-data; boundary=x"})
    void refusesOtherMediaTypesWith415(String value) {
        assertEquals(415, status(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {";;;", "/", "", "application/json; charset", "application/json; a=b; charset=UTF-8; q",
        "application/json;charset=\""})
    @DisplayName("regression: a Content-Type that is no media type answered Helidon's bare 'Bad Request', or 500 for an"
            + " unclosed quote")
    void refusesMalformedContentTypesWith400ThatSaysSo(String value) {
        ApiException refusal = assertThrows(ApiException.class, () -> JsonBody.requireJson(headers(value)));
        assertEquals(400, refusal.problem().status());
        assertTrue(refusal.problem().detail().startsWith("the Content-Type header is not a media type"),
                refusal.problem().detail());
    }
}
