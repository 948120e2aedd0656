package dev.sandpod.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import io.helidon.webserver.WebServer;

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
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Asynchronous runs over HTTP: 202 and Location, their states at GET, cancel at DELETE, 404 to strangers. */
class AsyncRunApiTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ALICE = "sk-alice-0123456789abcdef";
    private static final String BOB = "sk-bob-fedcba9876543210";
    private static final String ASYNC_RUN = "{\"code\":\"print(1)\",\"async\":true}";

    @TempDir
    Path dir;
    private final RecordingExecutor executor = new RecordingExecutor();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<WebServer> servers = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void answerOk() {
        executor.answering(request -> new RunResult("run-0000000000000000", Status.OK, 0, null, "1\n", "", "1\n", false,
                5, 7, 1000, "recording", null, List.of(), null, List.of(), false));
    }

    @AfterEach
    void stop() {
        release.countDown();
        servers.forEach(WebServer::stop);
        http.close();
    }

    @Test
    @DisplayName("\"async\": true answers 202 queued with Location; GET then answers the result as the blocking call does")
    void asyncRunEndsWithTheBlockingResult() throws Exception {
        URI base = start(Map.of());
        HttpResponse<String> accepted = send(base, "POST", "/v1/runs", ASYNC_RUN, Map.of());

        assertEquals(202, accepted.statusCode(), accepted.body());
        JsonNode body = json(accepted);
        String id = body.get("id").asText();
        assertTrue(id.matches("run-[0-9a-f]{16}"), id);
        assertEquals("queued", body.get("status").asText());
        assertEquals("/v1/runs/" + id, accepted.headers().firstValue("Location").orElseThrow());
        JsonNode ended = awaitEnd(base, id, Map.of());
        assertEquals("ok", ended.get("status").asText());
        assertEquals("1\n", ended.get("stdout").asText());
        assertEquals("python", ended.get("runtime").asText());
        assertEquals(1, executor.received.size());
    }

    @Test
    @DisplayName("Prefer: respond-async, among other preferences, makes a run asynchronous too")
    void preferHeaderMakesItAsync() throws Exception {
        URI base = start(Map.of());
        HttpResponse<String> accepted = send(base, "POST", "/v1/runs", "{\"code\":\"print(1)\"}",
                Map.of("Prefer", "return=minimal, respond-async"));

        assertEquals(202, accepted.statusCode(), accepted.body());
    }

    @Test
    @DisplayName("a run holding its sandbox is running; DELETE ends it killed, \"cancelled\", and GET says so after")
    void deleteCancels() throws Exception {
        executor.holdRunsUntil(release);
        URI base = start(Map.of());
        String id = json(send(base, "POST", "/v1/runs", ASYNC_RUN, Map.of())).get("id").asText();
        awaitStatus(base, id, "running");

        HttpResponse<String> cancelled = send(base, "DELETE", "/v1/runs/" + id, null, Map.of());

        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertEquals("killed", json(cancelled).get("status").asText());
        assertEquals("cancelled", json(cancelled).get("detail").asText());
        JsonNode after = json(send(base, "GET", "/v1/runs/" + id, null, Map.of()));
        assertEquals("killed", after.get("status").asText());
        assertEquals("cancelled", after.get("detail").asText());
    }

    @Test
    @DisplayName("an unknown id is 404 problem+json, and an id not shaped run-<16 hex> is 400, at GET and DELETE")
    void unknownAndMalformedIds() throws Exception {
        URI base = start(Map.of());
        for (String method : List.of("GET", "DELETE")) {
            HttpResponse<String> unknown = send(base, method, "/v1/runs/run-0123456789abcdef", null, Map.of());
            assertEquals(404, unknown.statusCode(), method);
            assertEquals("application/problem+json", unknown.headers().firstValue("Content-Type").orElse(""));
            for (String junk : List.of("x", "run-0123", "RUN-0123456789ABCDEF", "run-0123456789abcdef0", "%00")) {
                assertEquals(400, send(base, method, "/v1/runs/" + junk, null, Map.of()).statusCode(), method + junk);
            }
        }
    }

    @Test
    @DisplayName("async must be a boolean: anything else is 400")
    void asyncMustBeBoolean() throws Exception {
        URI base = start(Map.of());
        HttpResponse<String> refused = send(base, "POST", "/v1/runs", "{\"code\":\"1\",\"async\":\"yes\"}", Map.of());

        assertEquals(400, refused.statusCode());
        assertTrue(json(refused).get("detail").asText().contains("async"), refused.body());
    }

    @Test
    @DisplayName("past max-runs held, a submission is 503 with Retry-After and nothing more runs")
    void boundedInCount() throws Exception {
        executor.holdRunsUntil(release);
        URI base = start(Map.of("sandpod.async.max-runs", "1"));
        assertEquals(202, send(base, "POST", "/v1/runs", ASYNC_RUN, Map.of()).statusCode());

        HttpResponse<String> refused = send(base, "POST", "/v1/runs", ASYNC_RUN, Map.of());

        assertEquals(503, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    @DisplayName("with keys on, another key gets 404 at GET and DELETE, and the run goes on for its own key")
    void onlyTheSubmittingKeySeesTheRun() throws Exception {
        executor.holdRunsUntil(release);
        Path keys = Files.writeString(dir.resolve("keys"), "alice:" + ALICE + "\nbob:" + BOB + "\n");
        URI base = start(Map.of("sandpod.api-keys.file", keys.toString()));
        Map<String, String> alice = Map.of("Authorization", "Bearer " + ALICE);
        Map<String, String> bob = Map.of("Authorization", "Bearer " + BOB);
        String id = json(send(base, "POST", "/v1/runs", ASYNC_RUN, alice)).get("id").asText();

        assertEquals(404, send(base, "GET", "/v1/runs/" + id, null, bob).statusCode());
        assertEquals(404, send(base, "DELETE", "/v1/runs/" + id, null, bob).statusCode());
        assertEquals(401, send(base, "GET", "/v1/runs/" + id, null, Map.of()).statusCode());
        release.countDown();
        assertEquals("ok", awaitEnd(base, id, alice).get("status").asText());
    }

    @Test
    @DisplayName("the key's quotas apply when the run executes: one past its runs at once ends killed, \"not run: ...\"")
    void quotasApplyWhenTheRunExecutes() throws Exception {
        executor.holdRunsUntil(release);
        Path keys = Files.writeString(dir.resolve("keys"), "alice:" + ALICE + "\n");
        URI base = start(Map.of("sandpod.api-keys.file", keys.toString(), "sandpod.admission.key-max-concurrent", "1"));
        Map<String, String> alice = Map.of("Authorization", "Bearer " + ALICE);
        String first = json(send(base, "POST", "/v1/runs", ASYNC_RUN, alice)).get("id").asText();
        await(base, first, alice, "running"::equals);

        HttpResponse<String> second = send(base, "POST", "/v1/runs", ASYNC_RUN, alice);

        assertEquals(202, second.statusCode(), "the submission itself is not refused");
        JsonNode ended = awaitEnd(base, json(second).get("id").asText(), alice);
        assertEquals("killed", ended.get("status").asText());
        assertTrue(ended.get("detail").asText().startsWith("not run: "), ended.toString());
        release.countDown();
        assertEquals("ok", awaitEnd(base, first, alice).get("status").asText());
    }

    @Test
    @DisplayName("the seed's POST / ignores async and blocks as it always did")
    void seedRouteBlocks() throws Exception {
        URI base = start(Map.of());
        HttpResponse<String> answer = send(base, "POST", "/", ASYNC_RUN, Map.of());

        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("1\n", json(answer).get("message").asText());
    }

    private JsonNode awaitEnd(URI base, String id, Map<String, String> headers) throws Exception {
        return await(base, id, headers, status -> !status.equals("queued") && !status.equals("running"));
    }

    private void awaitStatus(URI base, String id, String wanted) throws Exception {
        await(base, id, Map.of(), wanted::equals);
    }

    private JsonNode await(URI base, String id, Map<String, String> headers, java.util.function.Predicate<String> done)
            throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < until) {
            HttpResponse<String> state = send(base, "GET", "/v1/runs/" + id, null, headers);
            assertEquals(200, state.statusCode(), state.body());
            last = json(state);
            if (done.test(last.get("status").asText())) {
                return last;
            }
            Thread.onSpinWait();
        }
        return fail("run " + id + " did not get there: " + last);
    }

    private HttpResponse<String> send(URI base, String method, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return MAPPER.readTree(response.body());
    }

    private URI start(Map<String, String> overrides) {
        WebServer server = ApiServer.start(overrides, executor);
        servers.add(server);
        return URI.create("http://127.0.0.1:" + server.port());
    }
}
