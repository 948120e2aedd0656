package dev.sandpod.kube;

import java.util.List;
import java.util.Map;

import dev.sandpod.TestServers;
import dev.sandpod.e2e.SeedChecks;
import dev.sandpod.e2e.Service;
import dev.sandpod.run.Executor;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's checks (from {@link SeedChecks}) and the statuses through HTTP in Kubernetes mode: the real service, the
 * mock API server and the emulated kubelet running each pod's command for real. Each answer is compared with the local
 * backend's for the same body, field by field, leaving out what differs by nature (id, backend, timings and memory).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesSeedChecksTest extends SeedChecks {
    private static final List<String> COMPARED = List.of("status", "exitCode", "signal", "stdout", "stderr", "output",
            "truncated", "message");

    private MockCluster cluster;
    private Service kubernetes;
    private Service local;

    @BeforeAll
    void start() throws InterruptedException {
        cluster = new MockCluster();
        KubernetesExecutor executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        kubernetes = Service.start(Map.of(), sandpod -> executor);
        local = Service.start(Map.of("SANDPOD_BACKEND", "local", "SANDPOD_LOCAL_POOL_SIZE", "0"), sandpod -> {
            Executor reference = TestServers.backend(sandpod);
            assertNull(reference.unreadyReason(), "the local backend is the reference");
            return reference;
        });
    }

    @AfterEach
    void noPodOutlivesItsRun() {
        assertEquals(List.of(), cluster.pods());
    }

    @AfterAll
    void stop() {
        kubernetes.close();
        local.close();
        cluster.close();
    }

    /** Each seed check's answer from a pod, once it has matched the local backend's. */
    @Override
    protected Service.Answer post(String path, Map<String, Object> body) throws Exception {
        return sameAsLocal(path, body);
    }

    @Override
    protected String backend() {
        return "kubernetes";
    }

    @Test
    void runtimeErrorMatchesLocal() throws Exception {
        assertEquals("runtime_error", sameAsLocal("/v1/runs",
                Map.of("code", "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(4)")).text("status"));
    }

    @Test
    void memoryLimitMatchesLocal() throws Exception {
        assertEquals("memory_limit", sameAsLocal("/v1/runs",
                Map.of("code", "x = b'x' * (256 * 1024 * 1024)", "memoryMb", 64, "timeoutMs", 10_000)).text("status"));
    }

    @Test
    void outputLimitMatchesLocal() throws Exception {
        Service.Answer answer = sameAsLocal("/v1/runs", Map.of("code", "while True: print('y' * 1000)"));
        assertEquals("output_limit", answer.text("status"));
        assertTrue(answer.body().path("truncated").asBoolean());
    }

    @Test
    @DisplayName("a job over one env string answers 413 with the limit in the detail")
    void jobTooLargeIs413() throws Exception {
        Service.Answer answer = kubernetes.post("/v1/runs", Map.of("code", "print(1)", "input", "x".repeat(200_000)));
        assertEquals(413, answer.status());
        assertTrue(answer.text("detail").contains("131059"), answer.body().toString());
    }

    @Test
    @DisplayName("quota exceeded answers 503 with Retry-After, and the quota's name stays inside")
    void quotaExceededIs503() throws Exception {
        cluster.kubelet.rejectCreates(1, 403, "Forbidden", "pods \"x\" is forbidden: exceeded quota: q, requested: pods=1");
        Service.Answer answer = kubernetes.post("/v1/runs", Map.of("code", "print(1)"));
        assertEquals(503, answer.status());
        assertEquals("3", answer.headers().firstValue("Retry-After").orElseThrow());
        assertFalse(answer.body().toString().contains("exceeded quota: q"), answer.body().toString());
    }

    private Service.Answer sameAsLocal(String path, Map<String, Object> body) throws Exception {
        Service.Answer pod = kubernetes.post(path, body);
        Service.Answer jail = local.post(path, body);
        assertEquals(jail.status(), pod.status(), pod.body().toString());
        for (String field : COMPARED) {
            JsonNode expected = jail.body().get(field);
            assertEquals(expected, pod.body().get(field), field + " differs: " + pod.body() + " vs " + jail.body());
        }
        return pod;
    }
}
