package dev.sandpod.kube;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.BundledRunner;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The backend is ready only while the runner ConfigMap holds the runner bundled with the service, byte for byte. */
class RunnerConfigMapTest {
    private static final RunRequest HELLO = RunRequest.of("print('hello')", "",
            new Limits(2000, 2000, 128, 65536, 16 << 20, 64));
    private static final String CONFIG_MAP = MockCluster.NAMESPACE + "/sandpod-runner";

    private MockCluster cluster;
    private KubernetesExecutor executor;

    @BeforeEach
    void start() {
        cluster = new MockCluster();
    }

    @AfterEach
    void stop() {
        if (executor != null) {
            executor.close();
        }
        cluster.close();
    }

    @Test
    @DisplayName("the bundled runner in the ConfigMap: ready, and a run executes the runner mounted from it")
    void matchingRunnerIsReady() throws Exception {
        executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        RunResult result = executor.run(HELLO, RunId.random());
        assertEquals(Status.OK, result.status(), result::detail);
        assertEquals("hello\n", result.stdout());
    }

    @Test
    @DisplayName("another runner in the ConfigMap: unready, naming both versions' hashes, and runs answer 503")
    void mismatchedRunnerIsUnready() throws Exception {
        byte[] older = "print('an older runner')\n".getBytes(StandardCharsets.UTF_8);
        cluster.installRunner(older);
        executor = cluster.executor(MockCluster.config());
        String expected = "the runner ConfigMap " + CONFIG_MAP + " holds another runner.py (sha256 " + sha256(older)
                + ") than this service's (sha256 " + sha256(BundledRunner.read()) + "); install the chart of the service's"
                + " version";
        Await.until("the executor reads the runner ConfigMap", Duration.ofSeconds(30),
                () -> expected.equals(executor.unreadyReason()));
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> executor.run(HELLO, RunId.random()));
        assertEquals("the Kubernetes backend is not ready", e.getMessage());
    }

    @Test
    @DisplayName("no runner ConfigMap: unready, saying to install it")
    void missingConfigMapIsUnready() throws Exception {
        cluster.admin.configMaps().inNamespace(MockCluster.NAMESPACE).withName("sandpod-runner").delete();
        executor = cluster.executor(MockCluster.config());
        String expected = "the runner ConfigMap " + CONFIG_MAP + " does not exist; install it with the chart or k8s/";
        Await.until("the executor looks for the runner ConfigMap", Duration.ofSeconds(30),
                () -> expected.equals(executor.unreadyReason()));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 6);
    }
}
