package dev.sandpod.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.helidon.webserver.WebServer;

import dev.sandpod.CallbackReceiver;
import dev.sandpod.CallbackReceiver.Delivery;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Callbacks of asynchronous runs, to a real HTTP receiver on loopback, which the test's config allowlists. */
class CallbackApiTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SECRET = "test-callback-secret";
    private static final Map<String, String> CALLBACKS_ON = Map.of("sandpod.callback.secret", SECRET,
            "sandpod.callback.allow", "127.0.0.0/8", "sandpod.callback.first-backoff-ms", "5");

    private final RecordingExecutor executor = new RecordingExecutor();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<WebServer> servers = new ArrayList<>();
    private CallbackReceiver receiver;

    @BeforeEach
    void start() throws IOException {
        executor.answering(request -> new RunResult("run-0000000000000000", Status.OK, 0, null, "1\n", "", "1\n", false,
                5, 7, 1000, "recording", null, List.of(), null, List.of(), false));
        receiver = new CallbackReceiver();
    }

    @AfterEach
    void stop() {
        receiver.close();
        servers.forEach(WebServer::stop);
        http.close();
    }

    @Test
    @DisplayName("the run's end is POSTed to callbackUrl, as GET answers it, signed HMAC-SHA256 over \"<timestamp>.<body>\"")
    void resultArrivesSigned() throws Exception {
        URI base = start(CALLBACKS_ON);
        HttpResponse<String> accepted = submit(base, hook());
        assertEquals(202, accepted.statusCode(), accepted.body());

        Delivery delivery = next();

        JsonNode delivered = MAPPER.readTree(delivery.body());
        assertEquals("ok", delivered.get("status").asText());
        assertEquals("1\n", delivered.get("stdout").asText());
        assertTrue(delivery.timestamp().matches("\\d{10,}"), delivery.timestamp());
        assertTrue(delivery.signedWith(SECRET), delivery.signature());
        String id = MAPPER.readTree(accepted.body()).get("id").asText();
        assertEquals(MAPPER.readTree(get(base, "/v1/runs/" + id).body()), delivered, "the body is the run's end");
    }

    @Test
    @DisplayName("a receiver answering 500 twice, then 200, gets three attempts")
    void retriesServerErrors() throws Exception {
        receiver.failNext(2);
        URI base = start(CALLBACKS_ON);
        submit(base, hook());

        next();
        next();
        next();

        assertEquals(0, receiver.waiting());
        assertTrue(receiver.failedAll(), "the third attempt got its 200");
    }

    @Test
    @DisplayName("a callbackUrl to loopback, private or metadata addresses is 400 problem+json, and nothing runs")
    void forbiddenTargetsAreRefused() throws Exception {
        URI base = start(Map.of("sandpod.callback.secret", SECRET));
        for (String url : List.of(hook(), "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://localhost/hook", "ftp://example.com/",
                "http://user:pw@example.com/")) {
            HttpResponse<String> refused = submit(base, url);
            assertEquals(400, refused.statusCode(), url + ": " + refused.body());
            assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""));
        }
        assertTrue(executor.received.isEmpty());
    }

    @Test
    @DisplayName("without a callback secret, a callbackUrl is 400 \"callbacks need a secret\"")
    void callbacksNeedASecret() throws Exception {
        URI base = start(Map.of("sandpod.callback.allow", "127.0.0.0/8"));
        HttpResponse<String> refused = submit(base, hook());

        assertEquals(400, refused.statusCode());
        assertTrue(MAPPER.readTree(refused.body()).get("detail").asText().contains("callbacks need a secret"));
    }

    @Test
    @DisplayName("a callbackUrl on a blocking run is 400: only an asynchronous run has an end to post")
    void callbackNeedsAsync() throws Exception {
        URI base = start(CALLBACKS_ON);
        HttpResponse<String> refused = post(base, "{\"code\":\"1\",\"callbackUrl\":\"" + hook() + "\"}");

        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(executor.received.isEmpty());
    }

    private Delivery next() throws InterruptedException {
        return receiver.next(Duration.ofSeconds(20));
    }

    private String hook() {
        return receiver.url();
    }

    private HttpResponse<String> submit(URI base, String callbackUrl) throws Exception {
        return post(base, MAPPER.writeValueAsString(Map.of("code", "print(1)", "async", true, "callbackUrl", callbackUrl)));
    }

    private HttpResponse<String> post(URI base, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve("/v1/runs")).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(URI base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI start(Map<String, String> overrides) {
        WebServer server = ApiServer.start(overrides, executor);
        servers.add(server);
        return URI.create("http://127.0.0.1:" + server.port());
    }
}
