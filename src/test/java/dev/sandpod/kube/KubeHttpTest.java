package dev.sandpod.kube;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import dev.sandpod.run.Executor;
import io.helidon.config.Config;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service over HTTP with the Kubernetes backend (mock API server and emulated kubelet) next to the same service with
 * the local backend: the seed's checks on {@code POST /}, and the same JSON from both for every status.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubeHttpTest {
    /** Fields that differ between any two runs or between backends by nature. */
    private static final Set<String> PER_RUN = Set.of("id", "backend", "timeMs", "cpuMs", "memoryKb");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MockCluster cluster;
    private Executor kubeExecutor;
    private Executor localExecutor;
    private WebServer kube;
    private WebServer local;

    @BeforeAll
    void start() throws InterruptedException {
        cluster = new MockCluster();
        KubernetesExecutor executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        kubeExecutor = executor;
        kube = TestServers.start(serviceConfig("kubernetes"), kubeExecutor);
        Config localConfig = serviceConfig("local");
        localExecutor = TestServers.backend(localConfig.get("sandpod"));
        local = TestServers.start(localConfig, localExecutor);
    }

    /** The shipped config on a free loopback port, rate limit and local pool off. */
    private static Config serviceConfig(String backend) {
        return AppConfig.load(Map.of("SANDPOD_BACKEND", backend, "SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0", "SANDPOD_LOCAL_POOL_SIZE", "0"));
    }

    @AfterEach
    void noPodOutlivesItsRun() {
        assertEquals(List.of(), cluster.pods());
    }

    @AfterAll
    void stop() {
        kube.stop();
        local.stop();
        kubeExecutor.close();
        localExecutor.close();
        cluster.close();
    }

    @Test
    @DisplayName("seed: print('Hello, World!') on POST / answers message 'Hello, World!\\n' from a pod")
    void seedHelloWorld() throws Exception {
        Answer answer = post(kube, "/", Map.of("code", "print('Hello, World!')"));
        assertEquals(200, answer.status());
        assertEquals("Hello, World!\n", answer.body().path("message").asText());
        assertEquals("kubernetes", answer.body().path("backend").asText());
    }

    @Test
    @DisplayName("seed: print(input()) echoes 'With input!'")
    void seedEchoesInput() throws Exception {
        Answer answer = post(kube, "/", Map.of("code", "print(input())", "input", "With input!"));
        assertEquals("With input!\n", answer.body().path("message").asText());
    }

    @Test
    @DisplayName("seed: while True: pass answers 408 with a message containing Timeout")
    void seedBusyLoopTimesOut() throws Exception {
        Answer answer = post(kube, "/", Map.of("code", "while True: pass"));
        assertEquals(408, answer.status());
        assertTrue(answer.body().path("message").asText().contains("Timeout"), answer.body().toString());
    }

    @Test
    @DisplayName("every status gives the same JSON from a pod as from a local jail")
    void sameJsonAsTheLocalBackend() throws Exception {
        List<Map<String, Object>> bodies = List.of(
                Map.of("code", "print('hello world')"),
                Map.of("code", "import sys\nprint(sys.stdin.read().upper(), end='')", "input", "ping\nü\n"),
                Map.of("code", "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)"),
                Map.of("code", "while True:\n    pass", "timeoutMs", 1000),
                Map.of("code", "x = bytearray(512 * 1024 * 1024)", "memoryMb", 64),
                Map.of("code", "print('x' * 200000)"));
        for (Map<String, Object> body : bodies) {
            Answer fromLocal = post(local, "/v1/runs", body);
            Answer fromKube = post(kube, "/v1/runs", body);
            assertEquals(fromLocal.status(), fromKube.status(), body.toString());
            assertEquals(comparable(fromLocal.body()), comparable(fromKube.body()), body.toString());
        }
    }

    @Test
    @DisplayName("a job over one env string answers 413 with the limit in the detail")
    void jobTooLargeIs413() throws Exception {
        Answer answer = post(kube, "/v1/runs", Map.of("code", "print(1)", "input", "x".repeat(200_000)));
        assertEquals(413, answer.status());
        assertTrue(answer.body().path("detail").asText().contains("131059"), answer.body().toString());
    }

    @Test
    @DisplayName("quota exceeded answers 503 with Retry-After")
    void quotaExceededIs503() throws Exception {
        cluster.kubelet.rejectCreates(1, 403, "Forbidden", "pods \"x\" is forbidden: exceeded quota: q, requested: pods=1");
        HttpResponse<String> response = send(kube, "/v1/runs", Map.of("code", "print(1)"));
        assertEquals(503, response.statusCode());
        assertEquals("3", response.headers().firstValue("Retry-After").orElseThrow());
        assertFalse(response.body().contains("exceeded quota: q"), response.body());
    }

    /** The answer without what differs by nature, and with tracebacks' working directory made the same. */
    private static JsonNode comparable(JsonNode body) {
        ObjectNode copy = body.deepCopy();
        PER_RUN.forEach(copy::remove);
        for (String field : List.of("stderr", "output")) {
            if (copy.has(field)) {
                copy.put(field, copy.get(field).asText().replaceAll("File \"[^\"]*/main\\.py\"", "File \"main.py\""));
            }
        }
        return copy;
    }

    private Answer post(WebServer server, String path, Object body) throws Exception {
        HttpResponse<String> response = send(server, path, body);
        return new Answer(response.statusCode(), JSON.readTree(response.body()));
    }

    private HttpResponse<String> send(WebServer server, String path, Object body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private record Answer(int status, JsonNode body) {
    }
}
