package dev.sandpod.kube;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** With no API server to talk to, the backend says why it is not ready and refuses runs with 503 at once. */
class ApiUnavailableTest {
    private static final RunRequest HELLO = RunRequest.of("print('hello')", "",
            new Limits(2000, 2000, 128, 65536, 16 << 20, 64));

    @Test
    @DisplayName("an API server that goes away makes the backend unready and runs 503")
    void apiServerDownIsUnavailable() throws Exception {
        try (MockCluster cluster = new MockCluster(); KubernetesExecutor executor = cluster.executor(MockCluster.config())) {
            Await.ready(executor);
            cluster.server.destroy();
            Await.until("the executor notices", Duration.ofSeconds(30), () -> executor.unreadyReason() != null);
            assertEquals("the watch on sandbox pods is down; the Kubernetes API may be unreachable", executor.unreadyReason());
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> executor.run(HELLO, RunId.random()));
            assertEquals("the Kubernetes backend is not ready", e.getMessage());
            assertEquals(Duration.ofSeconds(5), e.retryAfter());
        }
    }

    @Test
    @DisplayName("an API server that is unreachable from the start is reported, and the executor still starts")
    void unreachableAtBootIsUnready() throws Exception {
        String deadUrl = "http://127.0.0.1:" + freePort() + "/";
        var client = new KubernetesClientBuilder().withConfig(KubeClients.tuned(new ConfigBuilder(Config.empty())
                .withMasterUrl(deadUrl).withNamespace(MockCluster.NAMESPACE).build())).build();
        try (KubernetesExecutor executor = new KubernetesExecutor(client, MockCluster.config(), MockCluster.defaultLimits())) {
            assertEquals("the sandbox pod informer has not synced with the Kubernetes API yet", executor.unreadyReason());
            assertThrows(BackendUnavailableException.class, () -> executor.run(HELLO, RunId.random()));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
