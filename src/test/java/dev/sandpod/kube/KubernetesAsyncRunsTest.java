package dev.sandpod.kube;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.EventStreamClient;
import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import io.fabric8.kubernetes.api.model.Pod;

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
 * Asynchronous runs on Kubernetes across replicas, through HTTP: two replicas (an executor and an API server each) on
 * one mock API server, whose emulated kubelet runs each pod's runner for real. The pod holds the run's state, so the
 * replica that did not take the run answers for it, a restart loses nothing, and a cancel works from anywhere.
 */
class KubernetesAsyncRunsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ALICE = "sk-alice-0123456789abcdef";
    private static final String BOB = "sk-bob-fedcba9876543210";
    private static final String ECHO = "{\"code\": \"print(input())\", \"input\": \"from a pod\", \"async\": true}";
    private static final String SLEEPER = "{\"code\": \"import time\\ntime.sleep(30)\", \"timeoutMs\": 10000, \"async\": true}";

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Config config;
    private MockCluster cluster;
    private Replica first;
    private Replica second;

    /** One replica of the service: its executor, under its own replica name, and its API server. */
    private record Replica(KubernetesExecutor executor, WebServer server) {
        void stop() {
            server.stop();
            executor.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        Path keys = Files.writeString(dir.resolve("api-keys.txt"), "alice:" + ALICE + "\nbob:" + BOB + "\n");
        config = AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_API_KEYS_FILE", keys.toString(), "SANDPOD_ADMISSION_RATE_PER_SECOND", "0"));
        cluster = new MockCluster();
        first = replica(MockCluster.REPLICA);
        second = replica("replica-b");
    }

    @AfterEach
    void stop() {
        if (first != null) {
            first.stop();
        }
        second.stop();
        cluster.close();
        http.close();
    }

    @Test
    @DisplayName("a replica that did not take an asynchronous run answers GET with the very result its own replica gives")
    void anotherReplicaAnswersWithTheFullResult() throws Exception {
        String location = submit(first, ALICE, ECHO);
        JsonNode own = ended(first, location, ALICE);
        assertEquals("ok", own.get("status").asText(), own.toString());
        assertEquals("from a pod\n", own.get("stdout").asText());
        assertEquals(own, ended(second, location, ALICE));
        Pod pod = keptPod(location);
        assertEquals("alice", pod.getMetadata().getAnnotations().get(KeptAnnotations.KEY));
        assertTrue(pod.getMetadata().getAnnotations().containsKey(KeptAnnotations.EXPIRES), "no expiry on the kept pod");
    }

    @Test
    @DisplayName("after the replica that ran it restarts, its asynchronous run is still answered in full")
    void aRestartLosesNoRunThatHadAPod() throws Exception {
        String location = submit(first, ALICE, ECHO);
        JsonNode before = ended(first, location, ALICE);
        first.stop();
        first = null;
        assertEquals(1, cluster.pods().size(), "closing the replica deleted the kept pod");
        first = replica(MockCluster.REPLICA);
        assertEquals(before, ended(first, location, ALICE));
        assertEquals(before, ended(second, location, ALICE));
    }

    @Test
    @DisplayName("DELETE on the other replica ends a running run as killed, cancelled, and both replicas answer that")
    void cancelFromAnotherReplica() throws Exception {
        String location = submit(first, ALICE, SLEEPER);
        Await.until("the run's pod runs", Duration.ofSeconds(30),
                () -> cluster.pods().stream().anyMatch(pod -> PodState.containerStarted(pod)));
        HttpResponse<String> cancelled = send(second, "DELETE", location, ALICE);
        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertCancelled(MAPPER.readTree(cancelled.body()));
        JsonNode own = ended(first, location, ALICE);
        assertCancelled(own);
        assertEquals(own, ended(second, location, ALICE));
        Pod pod = keptPod(location);
        assertEquals(PodState.DEADLINE_EXCEEDED, pod.getStatus().getReason(), "the cancel did not end the sandbox");
        assertEquals(1L, pod.getSpec().getActiveDeadlineSeconds());
    }

    @Test
    @DisplayName("DELETE on the replica running it ends the run as cancelled for the other replica too")
    void cancelOnItsOwnReplicaIsSeenByTheOther() throws Exception {
        String location = submit(first, ALICE, SLEEPER);
        Await.until("the run's pod runs", Duration.ofSeconds(30),
                () -> cluster.pods().stream().anyMatch(pod -> PodState.containerStarted(pod)));
        HttpResponse<String> cancelled = send(first, "DELETE", location, ALICE);
        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertCancelled(MAPPER.readTree(cancelled.body()));
        Await.until("the pod is marked cancelled", Duration.ofSeconds(30),
                () -> keptPod(location).getMetadata().getAnnotations().containsKey(KeptAnnotations.CANCELLED));
        assertCancelled(ended(second, location, ALICE));
    }

    @Test
    @DisplayName("a run of one key does not exist for another key, on either replica")
    void anotherKeysRunIsNotFound() throws Exception {
        String location = submit(first, ALICE, ECHO);
        ended(first, location, ALICE);
        assertEquals(404, send(second, "GET", location, BOB).statusCode());
        assertEquals(404, send(second, "DELETE", location, BOB).statusCode());
        assertEquals(404, send(first, "GET", location, BOB).statusCode());
        assertEquals(200, send(second, "GET", location, ALICE).statusCode());
    }

    @Test
    @DisplayName("the other replica streams a run's events from its pod: while it runs, then its output and result")
    void anotherReplicaStreamsTheEventsFromThePod() throws Exception {
        String location = submit(first, ALICE, "{\"code\": \"import sys, time\\ntime.sleep(1)\\nprint('late')\\n"
                + "print('warn', file=sys.stderr)\", \"async\": true}");
        Await.until("the run's pod runs", Duration.ofSeconds(30),
                () -> cluster.pods().stream().anyMatch(pod -> PodState.containerStarted(pod)));
        EventStreamClient.Streamed followed = new EventStreamClient("http://127.0.0.1:" + second.server().port())
                .get(location + "/events", Map.of("X-API-Key", ALICE));

        assertEquals(200, followed.status(), followed::body);
        assertEquals("running", followed.events().getFirst().text("status"));
        assertEquals("late\n", followed.joined("stdout"));
        assertEquals("warn\n", followed.joined("stderr"));
        assertEquals(ended(first, location, ALICE), followed.result().data());
        EventStreamClient.Streamed replayed = new EventStreamClient("http://127.0.0.1:" + second.server().port())
                .get(location + "/events", Map.of("X-API-Key", ALICE));
        assertEquals(followed.result().data(), replayed.result().data());
        assertEquals(404, new EventStreamClient("http://127.0.0.1:" + second.server().port())
                .get(location + "/events", Map.of("X-API-Key", BOB)).status());
    }

    @Test
    @DisplayName("the pod of a blocking run is deleted before its answer, and never kept")
    void blockingRunPodIsDeletedAtOnce() throws Exception {
        HttpResponse<String> ran = send(first, "POST", "/v1/runs", ALICE, ECHO.replace(", \"async\": true", ""));
        assertEquals(200, ran.statusCode(), ran.body());
        assertEquals(0, cluster.pods().size(), "the blocking run's pod outlived its answer");
    }

    private Replica replica(String name) {
        KubernetesExecutor executor = cluster.executor(MockCluster.config().withReplica(name));
        try {
            Await.ready(executor);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new Replica(executor, TestServers.start(config, executor));
    }

    private String submit(Replica replica, String key, String body) throws Exception {
        HttpResponse<String> accepted = send(replica, "POST", "/v1/runs", key, body);
        assertEquals(202, accepted.statusCode(), accepted.body());
        return accepted.headers().firstValue("Location").orElseThrow();
    }

    /** The run's state once it has ended, as {@code replica} answers it. */
    private JsonNode ended(Replica replica, String location, String key) throws Exception {
        JsonNode[] state = new JsonNode[1];
        Await.until("the run ends on " + replica.executor(), Duration.ofSeconds(60), () -> {
            try {
                HttpResponse<String> answer = send(replica, "GET", location, key);
                assertEquals(200, answer.statusCode(), answer.body());
                state[0] = MAPPER.readTree(answer.body());
                String status = state[0].get("status").asText();
                return !status.equals("queued") && !status.equals("running");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        return state[0];
    }

    private Pod keptPod(String location) {
        String runId = location.substring(location.lastIndexOf('/') + 1);
        return cluster.pods().stream().filter(pod -> runId.equals(pod.getMetadata().getLabels().get(Labels.RUN)))
                .filter(Labels::kept).findFirst().orElseThrow();
    }

    private static void assertCancelled(JsonNode state) {
        assertEquals("killed", state.get("status").asText(), state.toString());
        assertEquals("cancelled", state.get("detail").asText(), state.toString());
    }

    private HttpResponse<String> send(Replica replica, String method, String path, String key) throws Exception {
        return send(replica, method, path, key, null);
    }

    private HttpResponse<String> send(Replica replica, String method, String path, String key, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.server().port() + path))
                .timeout(Duration.ofSeconds(60)).header("X-API-Key", key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
