package dev.sandpod.kube;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.Shutdown;
import dev.sandpod.TestServers;
import dev.sandpod.api.Drain;
import dev.sandpod.config.AppConfig;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shutdown of a replica on the Kubernetes backend, in process against the mock API server with the emulated kubelet
 * running each pod for real: what {@link Shutdown} does on SIGTERM, without the signal and the exit.
 */
class KubernetesDrainTest {
    private static final String OTHER_REPLICA = "replica-b";
    private static final Duration DRAIN = Duration.ofSeconds(6);
    private static final String SLEEP = "{\"code\": \"import time\\ntime.sleep(%s)\\nprint('done')\", \"timeoutMs\": 10000}";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    private MockCluster cluster;
    private KubernetesExecutor executor;
    private WebServer server;
    private Shutdown shutdown;
    private Drain drain;

    @BeforeEach
    void start() throws InterruptedException {
        cluster = new MockCluster();
        executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        Map<String, String> env = new HashMap<>(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0"));
        Config config = AppConfig.load(env);
        drain = new Drain();
        server = TestServers.start(config, executor, drain);
        shutdown = new Shutdown(drain, server, executor, new Shutdown.Budget(DRAIN, Duration.ofSeconds(20)));
    }

    @AfterEach
    void stop() {
        clients.shutdownNow();
        server.stop();
        executor.close();
        cluster.close();
    }

    @Test
    @DisplayName("the drain refuses new runs, lets a short run answer, ends a waiting one with 503 and deletes this"
            + " replica's pods only")
    void drainEndsRunsAndDeletesOwnPods() throws Exception {
        String others = otherReplicasPod();
        Future<HttpResponse<String>> shortRun = clients.submit(() -> post(SLEEP.formatted("2")));
        Future<HttpResponse<String>> longRun = clients.submit(() -> post(SLEEP.formatted("9")));
        Await.until("both runs have a running pod", Duration.ofSeconds(30), () -> runningPodsOf(MockCluster.REPLICA) == 2);

        Future<?> stopping = clients.submit(() -> shutdown.run("test"));
        Await.until("ready goes DOWN", Duration.ofSeconds(5), () -> statusOf("/health/ready") == 503);
        HttpResponse<String> refused = post(SLEEP.formatted("0"));
        assertEquals(503, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());

        HttpResponse<String> finished = shortRun.get(30, TimeUnit.SECONDS);
        assertEquals(200, finished.statusCode(), finished.body());
        assertTrue(finished.body().contains("\"stdout\":\"done\\n\""), finished.body());
        // the long run sleeps 9 s; the drain gives it 6 s, then the executor ends its wait
        HttpResponse<String> cutOff = longRun.get(30, TimeUnit.SECONDS);
        assertEquals(503, cutOff.statusCode(), cutOff.body());
        assertTrue(cutOff.body().contains("shutting down"), cutOff.body());
        stopping.get(30, TimeUnit.SECONDS);

        assertEquals(Set.of(others), podNames(), "only the other replica's pod may remain");
        assertFalse(server.isRunning());
        assertEquals(0, drain.active());
    }

    private String otherReplicasPod() {
        Pod pod = new PodSpecs(MockCluster.config().withReplica(OTHER_REPLICA))
                .podFor(RunRequest.of("print(1)", "", new Limits(2000, 2000, 128, 65536, 16 << 20, 64)), RunId.random(),
                        100_000);
        cluster.admin.pods().inNamespace(MockCluster.NAMESPACE).resource(pod).create();
        return pod.getMetadata().getName();
    }

    private long runningPodsOf(String replica) {
        return cluster.pods().stream()
                .filter(pod -> replica.equals(pod.getMetadata().getLabels().get(Labels.REPLICA)))
                .filter(pod -> pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase()))
                .count();
    }

    private Set<String> podNames() {
        return cluster.pods().stream().map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri("/v1/runs")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private int statusOf(String path) {
        try {
            return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
