package dev.sandpod.kube;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * API keys and per-key limits on the Kubernetes backend, against the mock API server with the emulated kubelet
 * running each pod's runner for real: a refused request never creates a pod, and a key's cap and rate hold while its
 * pods run.
 */
class KubernetesAccessTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ALICE = "sk-alice-0123456789abcdef";
    private static final String BOB = "sk-bob-fedcba9876543210";
    private static final String ECHO = "{\"code\": \"print(input())\", \"input\": \"from a pod\"}";

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MockCluster cluster;
    private KubernetesExecutor executor;
    private WebServer server;

    @BeforeEach
    void start() throws Exception {
        Path keys = Files.writeString(dir.resolve("api-keys.txt"), "alice:" + ALICE + "\nbob:" + BOB + "\n");
        cluster = new MockCluster();
        executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        Config config = AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_API_KEYS_FILE", keys.toString(), "SANDPOD_ADMISSION_KEY_MAX_CONCURRENT", "1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0.01", "SANDPOD_ADMISSION_BURST", "3"));
        server = TestServers.start(config, executor);
    }

    @AfterEach
    void stop() {
        server.stop();
        executor.close();
        cluster.close();
        http.close();
    }

    @Test
    @DisplayName("a run without a valid key is refused 401 before any pod exists; with one it runs in a pod")
    void keysGuardPodCreation() throws Exception {
        assertEquals(401, post(Map.of()).statusCode());
        assertEquals(401, post(Map.of("X-API-Key", "sk-nobody-0123456789")).statusCode());
        assertTrue(cluster.pods().isEmpty(), "a refused request created a pod");

        HttpResponse<String> ran = post(Map.of("Authorization", "Bearer " + ALICE));
        assertEquals(200, ran.statusCode(), ran.body());
        JsonNode result = MAPPER.readTree(ran.body());
        assertEquals("ok", result.get("status").asText(), ran.body());
        assertEquals("from a pod\n", result.get("stdout").asText());
        assertEquals("kubernetes", result.get("backend").asText());
    }

    @Test
    @DisplayName("a key with its one run in a pod is refused 429 with no second pod, while another key's run gets one")
    void keyConcurrencyHoldsWhilePodsRun() throws Exception {
        cluster.kubelet.mode(KubeletEmulator.Mode.HELD);
        CompletableFuture<HttpResponse<String>> held = postAsync(Map.of("X-API-Key", ALICE));
        Await.until("alice's pod runs", Duration.ofSeconds(30), () -> cluster.pods().size() == 1);
        HttpResponse<String> refused = post(Map.of("X-API-Key", ALICE));
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElseThrow());
        assertEquals(1, cluster.pods().size(), "the refused run created a pod");
        CompletableFuture<HttpResponse<String>> bob = postAsync(Map.of("X-API-Key", BOB));
        Await.until("bob's pod exists", Duration.ofSeconds(30), () -> cluster.pods().size() == 2);
        cluster.kubelet.releaseHeld();
        assertEquals(200, held.get().statusCode());
        assertEquals(200, bob.get().statusCode());
        Await.until("no sandbox pod is left", Duration.ofSeconds(30), () -> cluster.pods().isEmpty());
    }

    @Test
    @DisplayName("past a key's burst its run is refused 429 with RateLimit headers, and no pod is made for it")
    void keyRateHoldsOnKubernetes() throws Exception {
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ran = post(Map.of("X-API-Key", BOB));
            assertEquals(200, ran.statusCode(), ran.body());
            assertEquals(String.valueOf(2 - i), ran.headers().firstValue("RateLimit-Remaining").orElseThrow());
        }
        Await.until("the runs' pods are gone", Duration.ofSeconds(30), () -> cluster.pods().isEmpty());
        HttpResponse<String> limited = post(Map.of("X-API-Key", BOB));
        assertEquals(429, limited.statusCode(), limited.body());
        assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        assertEquals("3", limited.headers().firstValue("RateLimit-Limit").orElseThrow());
        assertTrue(cluster.pods().isEmpty(), "a rate-limited run created a pod");
        assertEquals(200, post(Map.of("X-API-Key", ALICE)).statusCode(), "alice's bucket is her own");
    }

    private HttpResponse<String> post(Map<String, String> headers) throws Exception {
        return http.send(request(headers), HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> postAsync(Map<String, String> headers) {
        return http.sendAsync(request(headers), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest request(Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/runs"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ECHO));
        headers.forEach(request::header);
        return request.build();
    }
}
