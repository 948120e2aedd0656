package dev.sandpod.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.helidon.webserver.WebServer;

import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import dev.sandpod.e2e.RawHttp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Refusals of malformed HTTP, sent as raw bytes to the server as Main starts it: each is a 4xx problem+json, including
 * those Helidon makes before routing. Each case once answered a 5xx, an empty body or text/plain.
 */
class HttpRefusalsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String JSON = "Content-Type: application/json\r\n";
    private static final String RUN = "{\"code\":\"print(1)\"}";
    private static WebServer server;

    @BeforeAll
    static void start() {
        // no refusal reaches the executor; it is there because Main.start needs one
        server = TestServers.start(AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0")), new RecordingExecutor());
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Test
    @DisplayName("regression: a malformed request line answered 400 with an empty body")
    void malformedRequestLine() throws Exception {
        assertProblem(400, "GARBAGE\r\n\r\n");
    }

    @Test
    @DisplayName("regression: a header without a colon, a missing Host and a space in the target answered empty 400s")
    void malformedHeadersAndTargets() throws Exception {
        assertProblem(400, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
        assertProblem(400, "GET / HTTP/1.1\r\n\r\n");
        assertProblem(400, "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    @Test
    @DisplayName("regression: a request target past the prologue limit answered an empty 414")
    void targetTooLong() throws Exception {
        assertProblem(414, "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    @Test
    @DisplayName("regression: HTTP/1.0 answered 505, a 5xx for the client's choice of protocol")
    void http10() throws Exception {
        JsonNode problem = assertProblem(400, "POST /v1/runs HTTP/1.0\r\n" + JSON + "Content-Length: 19\r\n\r\n" + RUN);
        assertEquals("this service speaks HTTP/1.1 only", problem.get("detail").asText());
    }

    @Test
    @DisplayName("regression: a Transfer-Encoding other than chunked answered 501")
    void unknownTransferEncoding() throws Exception {
        assertProblem(400, post("/v1/runs", "Transfer-Encoding: gzip, chunked\r\n", "13\r\n" + RUN + "\r\n0\r\n\r\n"));
    }

    @Test
    @DisplayName("regression: a Content-Length over server.max-payload-size answered an empty 413")
    void contentLengthOverTheCap() throws Exception {
        JsonNode problem = assertProblem(413, "POST /v1/runs HTTP/1.1\r\nHost: x\r\n" + JSON
                + "Content-Length: 4194305\r\n\r\n{");
        assertTrue(problem.get("detail").asText().contains("4194304"), problem.toString());
    }

    @Test
    @DisplayName("regression: chunks past server.max-payload-size answered an empty 413")
    void chunksOverTheCap() throws Exception {
        assertProblem(413, post("/v1/runs", "Transfer-Encoding: chunked\r\n", "7fffffff\r\n" + RUN + "\r\n0\r\n\r\n"));
    }

    @Test
    @DisplayName("regression: a chunk size that is no hex number, or a chunk extension, answered 500")
    void badChunkSizes() throws Exception {
        for (String size : List.of("zz", "13;a=b", "-13", "", "ffffffffffffffffffff")) {
            assertProblem(400, post("/v1/runs", "Transfer-Encoding: chunked\r\n", size + "\r\n" + RUN + "\r\n0\r\n\r\n"));
        }
    }

    @Test
    @DisplayName("regression: a body that ends before its Content-Length or its last chunk answered 500")
    void truncatedBodies() throws Exception {
        assertProblem(400, "POST /v1/runs HTTP/1.1\r\nHost: x\r\n" + JSON + "Content-Length: 100\r\n\r\n" + RUN);
        assertProblem(400, post("/v1/runs", "Transfer-Encoding: chunked\r\n", "13\r\n" + RUN.substring(0, 5)));
    }

    @Test
    @DisplayName("regression: Content-Type: application/json;charset=\" answered 500")
    void unclosedQuoteInContentType() throws Exception {
        assertProblem(400, "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json;charset=\"\r\n"
                + "Content-Length: 19\r\n\r\n" + RUN);
    }

    @Test
    @DisplayName("regression: GET / with an If-Modified-Since that is no HTTP-date answered 500")
    void badConditionalDate() throws Exception {
        assertProblem(400, "GET / HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: garbage\r\n\r\n");
        assertProblem(400, "GET /playground/app.js HTTP/1.1\r\nHost: x\r\nIf-Unmodified-Since: 1\r\n\r\n");
    }

    @Test
    @DisplayName("Helidon's refusals on the seed's POST / carry the seed's message too")
    void seedRouteKeepsItsMessage() throws Exception {
        JsonNode problem = assertProblem(413, "POST / HTTP/1.1\r\nHost: x\r\n" + JSON + "Content-Length: 4194305\r\n\r\n{");
        assertEquals(problem.get("detail").asText(), problem.get("message").asText());
    }

    @Test
    @DisplayName("regression: a method with a non-ASCII character, or headers cut by the end of the stream, answered 500")
    void requestsHelidonCouldNotRead() throws Exception {
        assertProblem(400, "P\u00d6ST /v1/runs HTTP/1.1\r\nHost: x\r\n\r\n");
        assertProblem(400, "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Ty");
    }

    @Test
    @DisplayName("regression: a POST without a body threw IllegalStateException 'No entity', a 500")
    void emptyBody() throws Exception {
        JsonNode problem = assertProblem(400, post("/v1/runs", "", ""));
        assertTrue(problem.get("detail").asText().startsWith("the body is empty"), problem.toString());
        assertProblem(400, "POST / HTTP/1.1\r\nHost: x\r\n" + JSON + "\r\n");
    }

    @Test
    @DisplayName("regression: a refused HEAD got the problem as a body, read by the client as its next answer")
    void headRefusalsHaveNoBody() throws Exception {
        String head = "HEAD /v1/runs HTTP/1.1\r\nHost: x\r\n\r\n";
        List<RawHttp.Response> answers = RawHttp.exchange(server.port(), (head + "GARBAGE\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
        assertEquals(List.of(404, 400), answers.stream().map(RawHttp.Response::status).toList());
        assertEquals("application/problem+json", answers.getFirst().contentType());
        List<RawHttp.Response> malformed = RawHttp.exchange(server.port(), "HEAD /a b HTTP/1.1\r\nHost: x\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
        assertEquals(List.of(400), malformed.stream().map(RawHttp.Response::status).toList());
        assertEquals("application/problem+json", malformed.getFirst().contentType());
    }

    private static String post(String path, String headers, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + JSON + headers
                + (headers.contains("Transfer-Encoding") ? "" : "Content-Length: " + body.length() + "\r\n") + "\r\n" + body;
    }

    /** The first answer to {@code request} is a problem+json of {@code status}, with that status in its body too. */
    private static JsonNode assertProblem(int status, String request) throws Exception {
        List<RawHttp.Response> answers = RawHttp.exchange(server.port(), request.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(10));
        assertFalse(answers.isEmpty(), "no answer to " + request.substring(0, Math.min(60, request.length())));
        RawHttp.Response answer = answers.getFirst();
        assertEquals(status, answer.status(), answer.text());
        assertEquals("application/problem+json", answer.contentType(), answer.text());
        JsonNode problem = MAPPER.readTree(answer.body());
        assertEquals(status, problem.get("status").asInt());
        assertTrue(problem.get("type").asText().startsWith("https://sandpod.dev/problems/"));
        assertFalse(problem.get("detail").asText().isBlank());
        return problem;
    }
}
