package dev.sandpod.kube;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.sandpod.run.Limits;
import dev.sandpod.run.PythonRuntime;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Named runtimes on Kubernetes, against the mock API server with the kubelet emulator running each pod's runner for real:
 * a run of python-scientific gets a pod of its own image, and the default runtime keeps its image and the warm pool.
 */
class KubernetesRuntimesTest {
    private static final Limits DEFAULTS = MockCluster.defaultLimits();
    private static final String PODS = "/api/v1/namespaces/" + MockCluster.NAMESPACE + "/pods";
    private static final String SCIENTIFIC = "python-scientific";

    private MockCluster cluster;
    private KubernetesExecutor executor;

    @BeforeEach
    void startWithOneStandbyPod() throws InterruptedException {
        cluster = new MockCluster();
        cluster.kubelet.mode(KubeletEmulator.Mode.REAL);
        executor = cluster.executorWithRuntimes(MockCluster.config(Map.of("pool-size", "1")));
        Await.ready(executor);
        Await.until("the standby pod runs", Duration.ofSeconds(30), () -> cluster.pods().stream()
                .filter(pod -> pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())).count() == 1);
        cluster.drainRequests(MockCluster.EXECUTOR_AGENT);
    }

    @AfterEach
    void stop() {
        try {
            executor.close();
        } finally {
            cluster.close();
        }
    }

    @Test
    @DisplayName("the runtimes listed are the configured ones: python with its image's version, python-scientific pinned")
    void listsTheConfiguredRuntimes() {
        List<PythonRuntime> runtimes = executor.runtimes();
        assertEquals(List.of("python", SCIENTIFIC), runtimes.stream().map(PythonRuntime::name).toList());
        assertEquals("3.13", runtimes.getFirst().pythonVersion());
        assertEquals(List.of("numpy", "pandas", "matplotlib"),
                runtimes.get(1).packages().stream().map(PythonRuntime.Package::name).toList());
    }

    @Test
    @DisplayName("a python-scientific run creates a pod of the scientific image, which runs numpy, and leaves the pool alone")
    void scientificRunGetsAPodOfItsImage() throws Exception {
        RunId id = RunId.random();
        RunResult result = executor.run(RunRequest.of("import numpy\nprint(numpy.arange(5).sum())", "", DEFAULTS)
                .withRuntime(SCIENTIFIC), id);
        assertEquals(Status.OK, result.status(), result::detail);
        assertEquals("10\n", result.stdout());
        Pod pod = cluster.kubelet.seen(PodNames.of(id)).orElseThrow(() -> new AssertionError("no pod of the run's own"));
        assertEquals(MockCluster.runtimes().image(SCIENTIFIC), pod.getSpec().getContainers().getFirst().getImage());
        assertTrue(cluster.drainRequests(MockCluster.EXECUTOR_AGENT).stream()
                .noneMatch(request -> "PATCH".equals(request.getMethod())), "no standby pod claimed");
    }

    @Test
    @DisplayName("a default run claims the standby pod, whose image is sandpod.kubernetes.image")
    void defaultRunKeepsTheDefaultImageAndThePool() throws Exception {
        Pod standby = cluster.pods().getFirst();
        assertEquals(MockCluster.config().image(), standby.getSpec().getContainers().getFirst().getImage());
        RunResult result = executor.run(RunRequest.of("print('warm')", "", DEFAULTS), RunId.random());
        assertEquals(Status.OK, result.status(), result::detail);
        List<RecordedRequest> requests = cluster.drainRequests(MockCluster.EXECUTOR_AGENT);
        assertTrue(requests.stream().anyMatch(request -> "PATCH".equals(request.getMethod())
                && request.getPath().equals(PODS + "/" + standby.getMetadata().getName())), "the standby pod is claimed");
    }
}
