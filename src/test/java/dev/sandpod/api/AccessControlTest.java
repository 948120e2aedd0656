package dev.sandpod.api;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.webserver.WebServer;

import dev.sandpod.EventStreamClient;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** API keys, the per-key and per-address limits and the access log, over HTTP against the API's own routing. */
class AccessControlTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ALICE = "sk-alice-0123456789abcdef";
    private static final String BOB = "sk-bob-fedcba9876543210";
    private static final String RUN = "{\"code\":\"print(1)\"}";

    @TempDir
    Path dir;
    private final RecordingExecutor executor = new RecordingExecutor();
    private final HttpClient http = HttpClient.newHttpClient();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<WebServer> servers = new ArrayList<>();

    @BeforeEach
    void answerOk() {
        executor.answering(request -> new RunResult("run-0000000000000000", Status.OK, 0, null, "1\n", "", "1\n", false,
                5, 700, 1000, "recording", null, List.of(), null, List.of(), false));
    }

    @AfterEach
    void stop() {
        servers.forEach(WebServer::stop);
        http.close();
    }

    @Test
    @DisplayName("with keys on a run needs a valid key, as a Bearer token or X-API-Key; otherwise 401 problem+json")
    void keysAreRequired() throws Exception {
        URI base = start(keysOn(Map.of()));
        HttpResponse<String> missing = post(base, "/v1/runs", Map.of());
        assertUnauthorized(missing, "needs an API key");
        assertUnauthorized(post(base, "/v1/runs", Map.of("Authorization", "Bearer sk-alice-0123456789abcdeX")),
                "not valid");
        assertUnauthorized(post(base, "/v1/runs", Map.of("X-API-Key", "nobody-knows-this-key")), "not valid");
        assertUnauthorized(post(base, "/v1/runs", Map.of("Authorization", "Basic YWxpY2U6cHc=")), "Bearer");
        assertUnauthorized(post(base, "/", Map.of()), "needs an API key");
        assertTrue(executor.received.isEmpty(), "no refused request reached the executor");

        assertEquals(200, post(base, "/v1/runs", Map.of("Authorization", "Bearer " + ALICE)).statusCode());
        assertEquals(200, post(base, "/v1/runs", Map.of("Authorization", "bearer  " + BOB)).statusCode());
        assertEquals(200, post(base, "/v1/runs", Map.of("X-API-Key", ALICE)).statusCode());
        assertEquals(200, post(base, "/", Map.of("X-API-Key", BOB)).statusCode());
        assertEquals(4, executor.received.size());
    }

    @Test
    @DisplayName("no spelling of a run's path (doubled slashes, dot segments, escapes, a trailing slash) passes the key check")
    void noPathSpellingBypassesTheKeys() throws Exception {
        URI base = start(keysOn(Map.of()));
        for (String path : List.of("//v1/runs", "/v1//runs", "/v1/./runs", "/./v1/runs", "/v1/../v1/runs", "/v1/%72uns",
                "/%761/runs", "/v1/runs/", "/v1/runs;x", "/v1/runs?x=1", "//", "/.", "//mcp", "/mcp/", "/%6dcp", "/./mcp")) {
            // URI.create, not resolve: resolve would remove the dot segments before they reach the server
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(RUN)).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(answer.statusCode() == 401 || answer.statusCode() == 404, path + " answered " + answer.statusCode());
        }
        assertTrue(executor.received.isEmpty(), "a run got past the key check");
    }

    @Test
    @DisplayName("the MCP endpoint takes the same keys: 401 without one, the JSON-RPC answer with one")
    void mcpNeedsAKey() throws Exception {
        URI base = start(keysOn(Map.of()));
        String initialize = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
        Map<String, String> mcp = Map.of("Accept", "application/json, text/event-stream");
        assertUnauthorized(http.send(request(base, "/mcp", mcp, initialize), HttpResponse.BodyHandlers.ofString()),
                "needs an API key");
        HttpResponse<String> answered = http.send(request(base, "/mcp", with(mcp, "X-API-Key", ALICE), initialize),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answered.statusCode(), answered.body());
        assertEquals(1, json(answered).get("id").asInt());
        assertTrue(json(answered).has("result"), answered.body());
    }

    @Test
    @DisplayName("the runtime list is behind the keys too, as every /v1/ route: 401 without one, the list with one")
    void runtimeListNeedsAKey() throws Exception {
        URI base = start(keysOn(Map.of()));
        assertUnauthorized(http.send(HttpRequest.newBuilder(base.resolve("/v1/runtimes")).GET().build(),
                HttpResponse.BodyHandlers.ofString()), "needs an API key");
        HttpResponse<String> listed = http.send(HttpRequest.newBuilder(base.resolve("/v1/runtimes"))
                .header("X-API-Key", ALICE).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, listed.statusCode(), listed.body());
        assertEquals("python", json(listed).get("runtimes").get(0).get("name").asText());
    }

    @Test
    @DisplayName("with keys off anyone runs, and an Authorization header is not looked at")
    void keysOffByDefault() throws Exception {
        URI base = start(Map.of());
        assertEquals(200, post(base, "/v1/runs", Map.of()).statusCode());
        assertEquals(200, post(base, "/v1/runs", Map.of("Authorization", "Basic YWxpY2U6cHc=")).statusCode());
    }

    @Test
    @DisplayName("each key has its own token bucket: past its burst 429 with Retry-After and RateLimit-* headers")
    void eachKeyHasItsOwnRate() throws Exception {
        URI base = start(keysOn(Map.of("sandpod.admission.rate-per-second", "0.05", "sandpod.admission.burst", "2")));
        long refusedBefore = keyRefusals("alice", "rate");
        HttpResponse<String> first = post(base, "/v1/runs", Map.of("X-API-Key", ALICE));
        assertEquals(200, first.statusCode());
        assertEquals("2", first.headers().firstValue("RateLimit-Limit").orElseThrow());
        assertEquals("1", first.headers().firstValue("RateLimit-Remaining").orElseThrow());
        assertEquals("2;w=40", first.headers().firstValue("RateLimit-Policy").orElseThrow());
        assertEquals("0", post(base, "/v1/runs", Map.of("X-API-Key", ALICE)).headers()
                .firstValue("RateLimit-Remaining").orElseThrow());
        HttpResponse<String> refused = post(base, "/v1/runs", Map.of("X-API-Key", ALICE));
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElseThrow());
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 20, "one token comes every 20 s: " + retryAfter);
        assertEquals("0", refused.headers().firstValue("RateLimit-Remaining").orElseThrow());
        assertTrue(json(refused).get("detail").asText().contains("this API key"), refused.body());
        assertEquals(200, post(base, "/v1/runs", Map.of("X-API-Key", BOB)).statusCode(), "bob's bucket is his own");
        assertEquals(3, executor.received.size());
        assertEquals(refusedBefore + 1, keyRefusals("alice", "rate"), "the refusal is counted for alice's key id");
    }

    private static long keyRefusals(String keyId, String limit) {
        return Metrics.globalRegistry().counter("sandpod.key.refusals", List.of(Tag.create("key", keyId),
                Tag.create("limit", limit))).map(Counter::count).orElse(0L);
    }

    @Test
    @DisplayName("with keys on, guessed keys from one address are limited before they are checked")
    void guessingIsRateLimitedPerAddress() throws Exception {
        URI base = start(keysOn(Map.of("sandpod.admission.address-rate-per-second", "0.01",
                "sandpod.admission.address-burst", "3")));
        for (int i = 0; i < 3; i++) {
            assertEquals(401, post(base, "/v1/runs", Map.of("X-API-Key", "guess-number-000000" + i)).statusCode());
        }
        HttpResponse<String> limited = post(base, "/v1/runs", Map.of("X-API-Key", "guess-number-0000003"));
        assertEquals(429, limited.statusCode());
        assertTrue(json(limited).get("detail").asText().contains("this address"), limited.body());
        assertEquals(429, post(base, "/v1/runs", Map.of("X-API-Key", ALICE)).statusCode(), "the address is spent");
    }

    @Test
    @DisplayName("behind a trusted proxy each forwarded client has its own bucket; from anyone else X-Forwarded-For is ignored")
    void forwardedClientsBehindTrustedProxies() throws Exception {
        Map<String, String> oneEach = Map.of("sandpod.admission.rate-per-second", "0.01", "sandpod.admission.burst", "1");
        URI trusting = start(with(oneEach, "sandpod.admission.trusted-proxies", "127.0.0.0/8, ::1"));
        assertEquals(200, post(trusting, "/v1/runs", Map.of("X-Forwarded-For", "198.51.100.1")).statusCode());
        assertEquals(429, post(trusting, "/v1/runs", Map.of("X-Forwarded-For", "198.51.100.1")).statusCode());
        assertEquals(200, post(trusting, "/v1/runs", Map.of("X-Forwarded-For", "192.0.2.1, 198.51.100.2")).statusCode());
        assertEquals(429, post(trusting, "/v1/runs", Map.of("X-Forwarded-For", "192.0.2.1, 198.51.100.2")).statusCode(),
                "a spoofed entry left of the client changes nothing");

        URI untrusting = start(oneEach);
        assertEquals(200, post(untrusting, "/v1/runs", Map.of("X-Forwarded-For", "198.51.100.1")).statusCode());
        assertEquals(429, post(untrusting, "/v1/runs", Map.of("X-Forwarded-For", "198.51.100.2")).statusCode());
    }

    @Test
    @DisplayName("a key with its cap of runs in flight is refused 429 at once, while other keys still run")
    void concurrencyIsCappedPerKey() throws Exception {
        URI base = start(keysOn(Map.of("sandpod.admission.key-max-concurrent", "1")));
        CountDownLatch release = new CountDownLatch(1);
        executor.holdRunsUntil(release);
        CompletableFuture<HttpResponse<String>> held = http.sendAsync(request(base, "/v1/runs", Map.of("X-API-Key", ALICE)),
                HttpResponse.BodyHandlers.ofString());
        long until = System.nanoTime() + 10_000_000_000L;
        while (executor.received.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        HttpResponse<String> refused = post(base, "/v1/runs", Map.of("X-API-Key", ALICE));
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(json(refused).get("detail").asText().contains("1 runs in flight"), refused.body());
        EventStreamClient.Streamed streamRefused = new EventStreamClient(base.toString().replaceAll("/$", ""))
                .post("/v1/runs", Map.of("code", "print(1)"), Map.of("X-API-Key", ALICE));
        assertEquals(429, streamRefused.status(), "a streamed run is refused as a blocking one: " + streamRefused.body());
        assertTrue(streamRefused.contentType().startsWith("application/problem+json"), streamRefused.contentType());
        CompletableFuture<HttpResponse<String>> bob = http.sendAsync(request(base, "/v1/runs", Map.of("X-API-Key", BOB)),
                HttpResponse.BodyHandlers.ofString());
        while (executor.received.size() < 2 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(2, executor.received.size(), "bob's run reached the executor while alice's was held");
        release.countDown();
        assertEquals(200, held.get().statusCode());
        assertEquals(200, bob.get().statusCode());
    }

    @Test
    @DisplayName("a key past its CPU-seconds of the day is refused 429 until midnight UTC; other keys still run")
    void dailyCpuQuotaPerKey() throws Exception {
        URI base = start(keysOn(Map.of("sandpod.admission.key-daily-cpu-seconds", "1")));
        assertEquals(200, post(base, "/v1/runs", Map.of("X-API-Key", ALICE)).statusCode());
        assertEquals(200, post(base, "/v1/runs", Map.of("X-API-Key", ALICE)).statusCode(), "0.7 of 1 CPU-second used");
        HttpResponse<String> refused = post(base, "/v1/runs", Map.of("X-API-Key", ALICE));
        assertEquals(429, refused.statusCode(), "1.4 of 1 CPU-second used: " + refused.body());
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        long untilMidnight = Duration.between(Instant.now(), LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay()
                .toInstant(ZoneOffset.UTC)).toSeconds();
        assertTrue(Math.abs(retryAfter - untilMidnight) <= 5, retryAfter + " s is not the time until midnight UTC");
        assertTrue(json(refused).get("detail").asText().contains("CPU-seconds"), refused.body());
        assertEquals(200, post(base, "/v1/runs", Map.of("X-API-Key", BOB)).statusCode());
    }

    @Test
    @DisplayName("every request leaves one JSON access line with its id, key id, client, route, status and run status")
    void accessLogLines() throws Exception {
        URI base = start(keysOn(Map.of("sandpod.access-log.format", "off")), AccessLog.Format.JSON);
        HttpResponse<String> ran = post(base, "/v1/runs", Map.of("X-API-Key", ALICE, "X-Request-Id", "req-42"));
        assertEquals("req-42", ran.headers().firstValue("X-Request-Id").orElseThrow());
        post(base, "/v1/runs", Map.of("X-API-Key", "nobody-knows-this-key", "X-Request-Id", "bad id\twith tab"));
        List<JsonNode> lines = awaitLines(2);
        JsonNode run = lines.get(0);
        assertEquals("req-42", run.get("id").asText());
        assertEquals("alice", run.get("key").asText());
        assertEquals("POST", run.get("method").asText());
        assertEquals("/v1/runs", run.get("path").asText());
        assertEquals(200, run.get("status").asInt());
        assertEquals("ok", run.get("runStatus").asText());
        assertTrue(run.get("client").asText().contains("127.0.0.1") || run.get("client").asText().contains(":"));
        assertTrue(run.get("durationMs").asDouble() >= 0);
        JsonNode refused = lines.get(1);
        assertEquals(401, refused.get("status").asInt());
        assertTrue(refused.get("key").isNull());
        assertTrue(refused.get("runStatus").isNull());
        assertTrue(refused.get("id").asText().matches("[0-9a-f]{16}"), "a fresh id replaces an unsafe one");
        assertFalse(log.toString(StandardCharsets.UTF_8).contains("nobody-knows-this-key"), "a key never reaches the log");
    }

    @Test
    @DisplayName("the text access log is one key=value line per request")
    void textAccessLog() throws Exception {
        URI base = start(Map.of("sandpod.access-log.format", "off"), AccessLog.Format.TEXT);
        post(base, "/v1/runs", Map.of("X-Request-Id", "req-7"));
        long until = System.nanoTime() + 10_000_000_000L;
        while (log.size() == 0 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        String line = log.toString(StandardCharsets.UTF_8).strip();
        assertTrue(line.matches("time=\\S+ id=req-7 key=- client=\\S+ method=POST path=/v1/runs status=200 "
                + "durationMs=[0-9.]+ runStatus=ok"), line);
    }

    private Map<String, String> keysOn(Map<String, String> more) throws Exception {
        Path keys = Files.writeString(dir.resolve("keys"), "# test keys\nalice:" + ALICE + "\nbob:" + BOB + "\n");
        return with(more, "sandpod.api-keys.file", keys.toString());
    }

    private static Map<String, String> with(Map<String, String> map, String key, String value) {
        Map<String, String> all = new HashMap<>(map);
        all.put(key, value);
        return all;
    }

    private URI start(Map<String, String> overrides) {
        return start(overrides, null);
    }

    private URI start(Map<String, String> overrides, AccessLog.Format captured) {
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        WebServer server = ApiServer.start(overrides, executor, routing -> {
            if (captured != null) {
                routing.addFilter(new AccessLog(captured, out));
            }
        });
        servers.add(server);
        return URI.create("http://127.0.0.1:" + server.port());
    }

    private List<JsonNode> awaitLines(int count) throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        List<String> lines = List.of();
        while (System.nanoTime() < until) {
            lines = log.toString(StandardCharsets.UTF_8).lines().toList();
            if (lines.size() >= count) {
                break;
            }
            Thread.sleep(5);
        }
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : lines) {
            parsed.add(MAPPER.readTree(line));
        }
        assertEquals(count, parsed.size(), lines.toString());
        return parsed;
    }

    private HttpResponse<String> post(URI base, String path, Map<String, String> headers) throws Exception {
        return http.send(request(base, path, headers), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(URI base, String path, Map<String, String> headers) {
        return request(base, path, headers, RUN);
    }

    private static HttpRequest request(URI base, String path, Map<String, String> headers, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return request.build();
    }

    private static void assertUnauthorized(HttpResponse<String> answer, String detail) throws Exception {
        assertEquals(401, answer.statusCode(), answer.body());
        assertEquals("application/problem+json", answer.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("Bearer realm=\"sandpod\"", answer.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertTrue(json(answer).get("detail").asText().contains(detail), answer.body());
    }

    private static JsonNode json(HttpResponse<String> answer) throws Exception {
        return MAPPER.readTree(answer.body());
    }
}
