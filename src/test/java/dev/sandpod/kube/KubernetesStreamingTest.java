package dev.sandpod.kube;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.helidon.webserver.WebServer;

import dev.sandpod.EventStreamClient;
import dev.sandpod.EventStreamClient.Event;
import dev.sandpod.EventStreamClient.Streamed;
import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import io.fabric8.kubernetes.api.model.Pod;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streamed runs on the Kubernetes backend through HTTP, read by a real SSE client, against the mock API server whose
 * emulated kubelet runs each pod's runner for real and streams its stdout over attach as a node does: a warm run
 * streams as it is written; a cold one, whose output is in its log, sends its chunks when its pod has ended.
 */
class KubernetesStreamingTest {
    private static final String FIRST_THEN_SECOND = """
            import sys, time
            print("first", flush=True)
            print("warn", file=sys.stderr, flush=True)
            time.sleep(1.5)
            print("second")""";

    private MockCluster cluster;
    private KubernetesExecutor executor;
    private WebServer server;

    private EventStreamClient start(int poolSize) throws Exception {
        cluster = new MockCluster();
        executor = cluster.executor(MockCluster.config(Map.of("pool-size", Integer.toString(poolSize))));
        Await.ready(executor);
        Await.until(poolSize + " standby pods running", Duration.ofSeconds(30),
                () -> standbyRunning() == poolSize);
        server = TestServers.start(AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0")), executor);
        return new EventStreamClient("http://127.0.0.1:" + server.port());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
        executor.close();
        cluster.close();
    }

    @Test
    @DisplayName("a warm run streams stdout and stderr over its attach as they are written, then its result")
    void warmRunStreamsAsWritten() throws Exception {
        Streamed stream = start(1).post("/v1/runs", Map.of("code", FIRST_THEN_SECOND), Map.of());

        assertEquals(200, stream.status(), stream::body);
        Event result = stream.result();
        assertEquals("ok", result.text("status"), result.data()::toString);
        assertEquals("kubernetes", result.text("backend"));
        assertEquals("first\nsecond\n", stream.joined("stdout"));
        assertEquals("warn\n", stream.joined("stderr"));
        long gapMs = Duration.ofNanos(result.arrivedNanos() - stream.named("stdout").getFirst().arrivedNanos()).toMillis();
        assertTrue(gapMs >= 1000, "the first chunk came only " + gapMs + " ms before the result");
    }

    @Test
    @DisplayName("a cold run's chunks come from its log when its pod has ended, whole and in order, before its result")
    void coldRunStreamsFromItsLog() throws Exception {
        Streamed stream = start(0).post("/v1/runs", Map.of("code", FIRST_THEN_SECOND), Map.of());

        Event result = stream.result();
        assertEquals("ok", result.text("status"), result.data()::toString);
        assertEquals(result.text("stdout"), stream.joined("stdout"));
        assertEquals("warn\n", stream.joined("stderr"));
        assertEquals("running", stream.events().getFirst().text("status"));
    }

    @Test
    @DisplayName("the output cap holds in a streamed pod run as in a blocking one")
    void outputCapHolds() throws Exception {
        Streamed stream = start(1).post("/v1/runs", Map.of("code", "import sys\nsys.stdout.write('x' * 200000)"),
                Map.of());

        Event result = stream.result();
        assertEquals("output_limit", result.text("status"), result.data()::toString);
        assertEquals(65536, stream.joined("stdout").length());
    }

    @Test
    @DisplayName("an asynchronous pod run's events stream at GET /v1/runs/{id}/events")
    void asyncRunEvents() throws Exception {
        EventStreamClient events = start(1);
        HttpResponse<String> accepted = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/runs"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"async\": true, \"code\": \"print('from a pod')\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, accepted.statusCode(), accepted.body());

        Streamed stream = events.get(accepted.headers().firstValue("Location").orElseThrow() + "/events", Map.of());

        assertEquals(List.of("queued", "running"),
                stream.named("status").stream().map(event -> event.text("status")).toList());
        assertEquals("from a pod\n", stream.joined("stdout"));
        assertEquals("ok", stream.result().text("status"));
    }

    private long standbyRunning() {
        return cluster.pods().stream()
                .filter(pod -> Labels.STANDBY.equals(pod.getMetadata().getLabels().get(Labels.STATE)))
                .map(Pod::getStatus)
                .filter(status -> status != null && "Running".equals(status.getPhase()))
                .count();
    }
}
