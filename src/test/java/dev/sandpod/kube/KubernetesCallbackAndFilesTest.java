package dev.sandpod.kube;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import io.helidon.webserver.WebServer;

import dev.sandpod.CallbackReceiver;
import dev.sandpod.CallbackReceiver.Delivery;
import dev.sandpod.Plots;
import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Callbacks, files out and named runtimes on the Kubernetes backend through HTTP, against the mock API server whose
 * emulated kubelet runs each pod's runner for real: a pod run's end reaches a real receiver signed, and a matplotlib
 * plot of the python-scientific runtime comes back from its pod's log as the bytes the program wrote.
 */
class KubernetesCallbackAndFilesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SECRET = "kube-callback-secret";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MockCluster cluster;
    private KubernetesExecutor executor;
    private WebServer server;
    private CallbackReceiver receiver;

    @BeforeEach
    void start() throws Exception {
        cluster = new MockCluster();
        executor = cluster.executorWithRuntimes(MockCluster.config(Map.of("pool-size", "1")));
        Await.ready(executor);
        server = TestServers.start(AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0", "SANDPOD_CALLBACK_SECRET", SECRET,
                "SANDPOD_CALLBACK_ALLOW", "127.0.0.1/32")), executor);
        receiver = new CallbackReceiver();
    }

    @AfterEach
    void stop() {
        receiver.close();
        server.stop();
        executor.close();
        cluster.close();
        http.close();
    }

    @Test
    @DisplayName("an asynchronous pod run's end is POSTed to its callbackUrl, signed, the very JSON that GET answers")
    void podRunIsCalledBack() throws Exception {
        HttpResponse<String> accepted = post(Map.of("async", true, "callbackUrl", receiver.url(),
                "code", "print('from a pod')"));
        assertEquals(202, accepted.statusCode(), accepted.body());

        Delivery delivery = receiver.next(Duration.ofSeconds(60));

        assertTrue(delivery.signedWith(SECRET), delivery.signature());
        JsonNode delivered = MAPPER.readTree(delivery.body());
        assertEquals("ok", delivered.get("status").asText(), delivery::text);
        assertEquals("from a pod\n", delivered.get("stdout").asText());
        assertEquals("kubernetes", delivered.get("backend").asText());
        String location = accepted.headers().firstValue("Location").orElseThrow();
        assertEquals(MAPPER.readTree(get(location).body()), delivered);
    }

    @Test
    @DisplayName("a python-scientific pod run returns its matplotlib PNG in files, the bytes it wrote")
    void scientificPodRunReturnsAPlot() throws Exception {
        HttpResponse<String> answer = post(Map.of("runtime", "python-scientific", "timeoutMs", 10_000,
                "code", Plots.MATPLOTLIB_PNG));
        assertEquals(200, answer.statusCode(), answer.body());

        JsonNode result = MAPPER.readTree(answer.body());
        Plots.assertReturnsThePlot(result);
        assertEquals("python-scientific", result.get("runtime").asText());
    }

    @Test
    @DisplayName("GET /v1/runtimes lists the configured images' runtimes, the default first")
    void listsTheRuntimes() throws Exception {
        JsonNode listing = MAPPER.readTree(get("/v1/runtimes").body());
        assertEquals("python", listing.get("default").asText());
        assertEquals("python", listing.get("runtimes").get(0).get("name").asText());
        assertEquals("python-scientific", listing.get("runtimes").get(1).get("name").asText());
    }

    private HttpResponse<String> post(Map<String, Object> body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri("/v1/runs")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
