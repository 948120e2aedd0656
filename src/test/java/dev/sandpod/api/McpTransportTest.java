package dev.sandpod.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.helidon.webserver.WebServer;

import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /mcp} in raw JSON-RPC over HTTP, on the server as Main starts it with a recording executor: what the
 * streamable-HTTP transport refuses and with which status, and how run_python maps the REST API's refusals to tool
 * errors. An MCP client's view, with real jails, is in {@code McpClientTest}.
 */
class McpTransportTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String BOTH = "application/json, text/event-stream";
    private static final String JSON = "application/json";
    private static final RecordingExecutor EXECUTOR = new RecordingExecutor();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static WebServer server;

    @BeforeAll
    static void start() {
        // one sandbox and no queue, so that a second run while one is held is refused by admission
        server = TestServers.start(AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0", "SANDPOD_ADMISSION_MAX_CONCURRENT", "1",
                "SANDPOD_ADMISSION_MAX_QUEUED", "0", "SANDPOD_MCP_ALLOWED_ORIGINS", "https://agents.example.com")), EXECUTOR);
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @BeforeEach
    void echoCode() {
        EXECUTOR.received.clear();
        EXECUTOR.holdRunsUntil(new CountDownLatch(0));
        EXECUTOR.answering(request -> new RunResult("run-0000000000000000", Status.OK, 0, null, request.code(), "",
                request.code(), false, 5, 3, 1000, "recording", null, List.of(), null, List.of(), false));
    }

    @Test
    @DisplayName("A body that is no JSON, or repeats a key, is a 400 with a JSON-RPC parse error without an id")
    void badJsonIsAParseError() throws Exception {
        for (String body : List.of("{\"jsonrpc\":", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"id\":2}")) {
            HttpResponse<String> response = post(body, BOTH, JSON);
            assertEquals(400, response.statusCode(), body);
            JsonNode error = rpcError(response);
            assertEquals(-32700, error.get("code").asInt(), body);
            assertTrue(error.get("message").asText().startsWith("the body is not valid JSON"), error.toString());
        }
    }

    @Test
    @DisplayName("JSON that is no JSON-RPC 2.0 message, a batch included, is a 400 invalid request")
    void notJsonRpcIsAnInvalidRequest() throws Exception {
        for (String body : List.of("{\"id\":1,\"method\":\"ping\"}", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
                "{\"jsonrpc\":\"2.0\"}")) {
            HttpResponse<String> response = post(body, BOTH, JSON);
            assertEquals(400, response.statusCode(), body);
            assertEquals(-32600, rpcError(response).get("code").asInt(), body);
        }
    }

    @Test
    @DisplayName("An Accept that does not take both JSON and SSE, or none, is a 406")
    void acceptMustListJsonAndSse() throws Exception {
        assertEquals(406, post(ping(), JSON, JSON).statusCode());
        assertEquals(406, post(ping(), "text/event-stream", JSON).statusCode());
        assertEquals(406, post(ping(), null, JSON).statusCode());
        assertEquals(200, post(ping(), "*/*", JSON).statusCode());
    }

    @Test
    void contentTypeOtherThanJsonIs415() throws Exception {
        HttpResponse<String> response = post(ping(), BOTH, "text/plain");
        assertEquals(415, response.statusCode());
        assertEquals(-32600, rpcError(response).get("code").asInt());
    }

    @Test
    @DisplayName("A browser's request from an origin not allowed is a 403 (DNS rebinding); an allowed origin and no origin pass")
    void onlyAllowedOriginsPass() throws Exception {
        for (String origin : List.of("http://evil.example", "http://127.0.0.1:" + server.port(), "null")) {
            HttpResponse<String> refused = CLIENT.send(request(ping(), BOTH, JSON).header("Origin", origin).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, refused.statusCode(), origin);
            assertEquals(-32600, rpcError(refused).get("code").asInt());
        }
        assertEquals(200, CLIENT.send(request(ping(), BOTH, JSON).header("Origin", "https://AGENTS.example.com").build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, post(ping(), BOTH, JSON).statusCode());
        assertTrue(EXECUTOR.received.isEmpty());
    }

    @Test
    void unknownProtocolVersionIs400() throws Exception {
        HttpResponse<String> response = CLIENT.send(request(ping(), BOTH, JSON).header("MCP-Protocol-Version", "1999-01-01")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, response.statusCode());
        assertTrue(rpcError(response).get("message").asText().contains("1999-01-01"));
    }

    @Test
    @DisplayName("GET and DELETE /mcp are 405 Allow: POST: no SSE stream and no session in stateless mode")
    void getAndDeleteAre405() throws Exception {
        for (String method : List.of("GET", "DELETE")) {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(uri()).header("Accept", BOTH)
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, response.statusCode(), method);
            assertEquals("POST", response.headers().firstValue("Allow").orElse(""), method);
        }
    }

    @Test
    @DisplayName("A notification or a response is taken with 202 and no body")
    void notificationsAndResponsesAre202() throws Exception {
        for (String body : List.of("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}")) {
            HttpResponse<String> response = post(body, BOTH, JSON);
            assertEquals(202, response.statusCode(), body);
            assertEquals("", response.body(), body);
        }
    }

    @Test
    void unknownMethodIsAJsonRpcErrorOfTheRequest() throws Exception {
        HttpResponse<String> response = post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"no/such\"}", BOTH, JSON);
        assertEquals(200, response.statusCode());
        JsonNode body = MAPPER.readTree(response.body());
        assertEquals(3, body.get("id").asInt());
        assertEquals(-32601, body.get("error").get("code").asInt());
    }

    @Test
    @DisplayName("A tools/call needs no initialize first: any replica answers any message")
    void toolCallRunsWithoutASession() throws Exception {
        JsonNode result = call(Map.of("code", "print(input())", "input", "hi\n"));
        assertFalse(result.get("isError").asBoolean());
        assertEquals("print(input())", result.get("structuredContent").get("stdout").asText());
        assertEquals(result.get("structuredContent"), MAPPER.readTree(result.get("content").get(0).get("text").asText()));
        assertEquals("hi\n", EXECUTOR.received.getFirst().input());
    }

    @Test
    @DisplayName("An argument the REST API refuses is an isError result with the problem's detail")
    void invalidArgumentIsAToolError() throws Exception {
        JsonNode result = call(Map.of("code", "pass", "files", List.of(Map.of("path", "../x", "content", ""))));
        assertTrue(result.get("isError").asBoolean());
        assertTrue(text(result).contains("files[0].path must not hold empty, '.' or '..' segments"), text(result));
        assertTrue(EXECUTOR.received.isEmpty());
    }

    @Test
    @DisplayName("Arguments outside the tool's schema, REST fields such as timeoutMs too, are an isError result")
    void unknownArgumentIsAToolError() throws Exception {
        JsonNode result = call(Map.of("code", "pass", "timeoutMs", 100));
        assertTrue(result.get("isError").asBoolean());
        assertTrue(text(result).contains("unknown arguments [timeoutMs]"), text(result));
    }

    @Test
    @DisplayName("A runtime the executor does not list is an isError result naming the ones it does")
    void unknownRuntimeIsAToolError() throws Exception {
        JsonNode result = call(Map.of("code", "pass", "runtime", "node"));
        assertTrue(result.get("isError").asBoolean());
        assertTrue(text(result).contains("runtime node is unknown; the known runtimes are [python]"), text(result));
        assertFalse(call(Map.of("code", "pass", "runtime", "python")).get("isError").asBoolean());
    }

    @Test
    @DisplayName("A run that admission refuses (503, no free sandbox) is an isError result naming the refusal and the retry")
    void admissionRefusalIsAToolError() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        EXECUTOR.holdRunsUntil(release);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<JsonNode> held = threads.submit(() -> call(Map.of("code", "held")));
            for (int i = 0; i < 1000 && EXECUTOR.received.isEmpty(); i++) {
                Thread.sleep(10); // bounded polling for the held run to take the only sandbox
            }
            JsonNode refused = call(Map.of("code", "refused"));
            release.countDown();
            assertTrue(refused.get("isError").asBoolean());
            assertTrue(text(refused).startsWith("Service unavailable (503): all 1 sandboxes of this replica are busy"),
                    text(refused));
            assertTrue(text(refused).endsWith("; retry after 1 s"), text(refused));
            assertFalse(held.get().get("isError").asBoolean());
        }
    }

    private static JsonNode call(Map<String, Object> arguments) throws Exception {
        String body = MAPPER.writeValueAsString(Map.of("jsonrpc", "2.0", "id", 1, "method", "tools/call",
                "params", Map.of("name", "run_python", "arguments", arguments)));
        HttpResponse<String> response = post(body, BOTH, JSON);
        assertEquals(200, response.statusCode(), response.body());
        JsonNode answer = MAPPER.readTree(response.body());
        assertTrue(answer.has("result"), response.body());
        return answer.get("result");
    }

    private static String text(JsonNode result) {
        return result.get("content").get(0).get("text").asText();
    }

    private static String ping() {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    }

    private static JsonNode rpcError(HttpResponse<String> response) throws Exception {
        assertEquals(JSON, response.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = MAPPER.readTree(response.body());
        assertEquals("2.0", body.get("jsonrpc").asText());
        assertTrue(body.get("id").isNull(), response.body());
        return body.get("error");
    }

    private static HttpResponse<String> post(String body, String accept, String contentType) throws Exception {
        return CLIENT.send(request(body, accept, contentType).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String body, String accept, String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri()).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        return accept == null ? request : request.header("Accept", accept);
    }

    private static URI uri() {
        return URI.create("http://127.0.0.1:" + server.port() + McpService.PATH);
    }
}
