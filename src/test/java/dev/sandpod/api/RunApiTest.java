package dev.sandpod.api;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import io.helidon.webserver.testing.junit5.SetUpServer;

import dev.sandpod.run.RunResult;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP contract of DESIGN §2: validation, problem answers, the seed's shape and admission, over a real socket. */
@ServerTest
class RunApiTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final RecordingExecutor EXECUTOR = new RecordingExecutor();
    private static final Config CONFIG = Config.builder()
            .disableEnvironmentVariablesSource()
            .disableSystemPropertiesSource()
            .addSource(ConfigSources.create(Map.of(
                    "sandpod.admission.max-concurrent", "2",
                    "sandpod.admission.max-queued", "0",
                    "sandpod.admission.rate-per-second", "0")))
            .addSource(ConfigSources.classpath("application.yaml"))
            .build();

    private final Http1Client client;

    RunApiTest(Http1Client client) {
        this.client = client;
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        server.config(CONFIG.get("server")).port(0).host("127.0.0.1");
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        ApiRouting.routing(routing, CONFIG.get("sandpod"), EXECUTOR);
    }

    @BeforeEach
    void echoCode() {
        EXECUTOR.received.clear();
        EXECUTOR.holdRunsUntil(new CountDownLatch(0));
        EXECUTOR.answering(request -> new RunResult("run-0000000000000000", dev.sandpod.run.Status.OK, 0, null,
                request.code(), "", request.code(), false, 5, 3, 1000, "recording", null, List.of(), null, List.of(), false));
    }

    @Test
    @DisplayName("POST /v1/runs answers 200 with the run's JSON and hands code, input and limits to the executor")
    void runsValidRequest() throws Exception {
        Answer answer = post("/v1/runs", "{\"code\":\"print(1)\",\"stdin\":\"x\\n\",\"timeoutMs\":1500,"
                + "\"memoryMb\":64,\"args\":[\"a\"]}");
        assertEquals(200, answer.status);
        assertEquals("application/json", answer.contentType);
        assertEquals("ok", answer.body.get("status").asText());
        assertEquals("print(1)", answer.body.get("stdout").asText());
        assertTrue(answer.body.get("files").isArray(), "files is there when the program left none");
        assertEquals(0, answer.body.get("files").size());
        assertEquals(false, answer.body.get("filesTruncated").asBoolean(true));
        var request = EXECUTOR.received.getFirst();
        assertEquals("x\n", request.input());
        assertEquals(1500, request.limits().timeMs());
        assertEquals(64, request.limits().memoryMb());
        assertEquals(List.of("a"), request.args());
    }

    @Test
    void appliesDefaultLimits() throws Exception {
        post("/v1/runs", "{\"code\":\"pass\"}");
        var limits = EXECUTOR.received.getFirst().limits();
        assertEquals(2000, limits.timeMs());
        assertEquals(128, limits.memoryMb());
        assertEquals(65536, limits.outputBytes());
        assertEquals(64, limits.outFiles());
        assertEquals(4 << 20, limits.outFilesBytes());
    }

    @Test
    @DisplayName("The seed's POST / adds message = output")
    void seedRouteAddsMessage() throws Exception {
        Answer answer = post("/", "{\"code\":\"hello\"}");
        assertEquals(200, answer.status);
        assertEquals("hello", answer.body.get("message").asText());
    }

    @Test
    @DisplayName("The seed's POST / answers a timeout with 408 'Timeout of <ms> exceeded'")
    void seedRouteAnswersTimeoutWith408() throws Exception {
        EXECUTOR.answering(request -> new RunResult("run-0000000000000000", dev.sandpod.run.Status.TIMEOUT, null,
                "SIGKILL", "", "", "", false, 2000, 2000, 1000, "recording", "wall time", List.of(), null, List.of(), false));
        Answer answer = post("/", "{\"code\":\"while True: pass\",\"timeoutMs\":1000}");
        assertEquals(408, answer.status);
        assertEquals("Timeout of 1000 exceeded", answer.body.get("message").asText());
        assertEquals("timeout", answer.body.get("status").asText());
    }

    @Test
    @DisplayName("A missing code answers 400 'Code is required' on both routes")
    void rejectsMissingCode() throws Exception {
        Answer seed = post("/", "{\"input\":\"x\"}");
        assertProblem(seed, 400);
        assertEquals("Code is required", seed.body.get("message").asText());
        assertEquals("Code is required", post("/v1/runs", "{}").body.get("detail").asText());
        assertEquals("Code is required", post("/v1/runs", "{\"code\":\"\"}").body.get("detail").asText());
        assertTrue(EXECUTOR.received.isEmpty());
    }

    @Test
    void rejectsMalformedJson() throws Exception {
        Answer answer = post("/v1/runs", "{\"code\": \"print(1)\"");
        assertProblem(answer, 400);
        assertTrue(answer.body.get("detail").asText().startsWith("the body is not valid JSON"));
    }

    @Test
    void rejectsCodeOfWrongType() throws Exception {
        Answer answer = post("/v1/runs", "{\"code\": 42}");
        assertProblem(answer, 400);
        assertEquals("code must be a string", answer.body.get("detail").asText());
    }

    @Test
    void rejectsNonObjectBody() throws Exception {
        assertProblem(post("/v1/runs", "[\"print(1)\"]"), 400);
    }

    @Test
    void rejectsDuplicateKeys() throws Exception {
        assertProblem(post("/v1/runs", "{\"code\":\"print(1)\",\"code\":\"print(2)\"}"), 400);
    }

    @Test
    void rejectsLimitsOutOfRange() throws Exception {
        for (String body : List.of("{\"code\":\"x\",\"timeoutMs\":0}", "{\"code\":\"x\",\"timeoutMs\":10001}",
                "{\"code\":\"x\",\"timeoutMs\":1.5}", "{\"code\":\"x\",\"timeoutMs\":\"100\"}",
                "{\"code\":\"x\",\"memoryMb\":15}", "{\"code\":\"x\",\"memoryMb\":513}",
                "{\"code\":\"x\",\"args\":\"a\"}", "{\"code\":\"x\",\"args\":[1]}")) {
            assertProblem(post("/v1/runs", body), 400);
        }
        assertTrue(EXECUTOR.received.isEmpty());
    }

    @Test
    void rejectsUnknownFieldsOnV1Only() throws Exception {
        Answer strict = post("/v1/runs", "{\"code\":\"x\",\"timeout\":5}");
        assertProblem(strict, 400);
        assertTrue(strict.body.get("detail").asText().contains("timeout"));
        assertEquals(200, post("/", "{\"code\":\"x\",\"language\":\"python\"}").status);
    }

    @Test
    void rejectsFilePathsThatLeaveTheWorkingDirectory() throws Exception {
        for (String path : List.of("../x", "/etc/passwd", "a/../../b", "", "main.py", "a//b")) {
            assertProblem(post("/v1/runs", "{\"code\":\"x\",\"files\":[{\"path\":" + MAPPER.writeValueAsString(path)
                    + ",\"content\":\"y\"}]}"), 400);
        }
    }

    @Test
    void rejectsCodeOverTheCapWith413() throws Exception {
        Answer answer = post("/v1/runs", "{\"code\":\"" + "#".repeat(65537) + "\"}");
        assertProblem(answer, 413);
        assertTrue(answer.body.get("detail").asText().contains("65536"));
    }

    @Test
    void rejectsInputOverTheCapWith413() throws Exception {
        assertProblem(post("/v1/runs", "{\"code\":\"x\",\"input\":\"" + "a".repeat(1048577) + "\"}"), 413);
    }

    @Test
    @DisplayName("A body announced over server.max-payload-size is refused with 413 before it is read")
    void rejectsBodyOverPayloadCap(WebServer server) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (4 * 1024 * 1024 + 1) + "\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            assertTrue(statusLine.startsWith("HTTP/1.1 413 "), statusLine);
        }
    }

    @Test
    void rejectsWrongContentTypeWith415() throws Exception {
        try (Http1ClientResponse response = client.post("/v1/runs")
                .header(HeaderNames.CONTENT_TYPE, "text/plain")
                .submit("{\"code\":\"print(1)\"}")) {
            assertEquals(415, response.status().code());
            assertEquals("application/problem+json", response.headers().contentType().orElseThrow().text());
        }
        try (Http1ClientResponse response = client.post("/v1/runs").submit("{\"code\":\"print(1)\"}")) {
            assertEquals(415, response.status().code());
        }
    }

    @Test
    @DisplayName("Past max-concurrent with no queue, a run is refused with 503 and Retry-After")
    void refusesWhenSaturated() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        EXECUTOR.holdRunsUntil(gate);
        List<Future<Answer>> held = new ArrayList<>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 2; i++) {
                held.add(threads.submit(() -> post("/v1/runs", "{\"code\":\"x\"}")));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (EXECUTOR.received.size() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            try (Http1ClientResponse response = client.post("/v1/runs")
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .submit("{\"code\":\"x\"}")) {
                assertEquals(503, response.status().code());
                assertTrue(response.headers().contains(HeaderNames.RETRY_AFTER));
            } finally {
                gate.countDown();
            }
            for (Future<Answer> answer : held) {
                assertEquals(200, answer.get().status);
            }
        }
    }

    @Test
    void neverLeaksExceptionTextOnABug() throws Exception {
        EXECUTOR.answering(request -> {
            throw new IllegalStateException("secret /var/lib/host/path");
        });
        Answer answer = post("/v1/runs", "{\"code\":\"x\"}");
        assertProblem(answer, 500);
        assertFalse(answer.raw.contains("secret"));
        assertFalse(answer.raw.contains("IllegalStateException"));
    }

    private Answer post(String path, String json) throws Exception {
        try (Http1ClientResponse response = client.post(path)
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .submit(json)) {
            return Answer.of(response);
        }
    }

    private static void assertProblem(Answer answer, int status) {
        assertEquals(status, answer.status, answer.raw);
        assertEquals("application/problem+json", answer.contentType);
        assertEquals(status, answer.body.get("status").asInt());
        assertTrue(answer.body.get("type").asText().startsWith("https://"));
        assertFalse(answer.body.get("title").asText().isBlank());
        assertFalse(answer.body.get("detail").asText().isBlank());
    }

    private record Answer(int status, String contentType, JsonNode body, String raw) {
        static Answer of(HttpClientResponse response) throws Exception {
            String raw = response.as(String.class);
            return new Answer(response.status().code(),
                    response.headers().contentType().map(type -> type.text()).orElse(""),
                    MAPPER.readTree(raw), raw);
        }
    }

}
