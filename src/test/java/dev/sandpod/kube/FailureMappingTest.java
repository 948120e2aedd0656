package dev.sandpod.kube;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.JobTooLargeException;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each way a cluster can fail a run, injected by the emulated kubelet or the API server, and what the client gets. */
class FailureMappingTest {
    private static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);
    private static final RunRequest HELLO = RunRequest.of("print('hello')", "", DEFAULTS);

    private MockCluster cluster;
    private KubernetesExecutor executor;

    @BeforeEach
    void start() {
        cluster = new MockCluster();
    }

    @AfterEach
    void noPodOutlivesItsRun() {
        try {
            assertEquals(List.of(), cluster.pods());
        } finally {
            if (executor != null) {
                executor.close();
            }
            cluster.close();
        }
    }

    @Test
    @DisplayName("ErrImagePull ends the run at once as internal_error, and the pod is deleted")
    void errImagePullIsInternalError() throws Exception {
        RunResult result = runIn(KubeletEmulator.Mode.ERR_IMAGE_PULL, Map.of());
        assertInternalError("the sandbox image could not be pulled (ErrImagePull)", result);
    }

    @Test
    @DisplayName("ImagePullBackOff ends the run as internal_error")
    void imagePullBackOffIsInternalError() throws Exception {
        RunResult result = runIn(KubeletEmulator.Mode.IMAGE_PULL_BACK_OFF, Map.of());
        assertInternalError("the sandbox image could not be pulled (ImagePullBackOff)", result);
    }

    @Test
    @DisplayName("a pod still Pending after the startup timeout is internal_error, without the scheduler's message")
    void pendingPastStartupTimeoutIsInternalError() throws Exception {
        RunResult result = runIn(KubeletEmulator.Mode.STUCK_PENDING, Map.of("startup-timeout-ms", "1000"));
        assertInternalError("the sandbox pod did not start within 1000 ms", result);
    }

    @Test
    @DisplayName("OOMKilled with no envelope is memory_limit")
    void oomKilledIsMemoryLimit() throws Exception {
        RunResult result = runIn(KubeletEmulator.Mode.OOM_KILLED, Map.of());
        assertEquals(Status.MEMORY_LIMIT, result.status(), result::detail);
        assertEquals("SIGKILL", result.signal());
        assertEquals("", result.stdout());
    }

    @Test
    @DisplayName("DeadlineExceeded with no envelope is timeout")
    void deadlineExceededIsTimeout() throws Exception {
        RunResult result = runIn(KubeletEmulator.Mode.DEADLINE_EXCEEDED, Map.of());
        assertEquals(Status.TIMEOUT, result.status());
        assertEquals("the sandbox reached its deadline of 3 s", result.detail());
    }

    @Test
    @DisplayName("a deadline that passes before the container started blames the sandbox, not the program")
    void deadlineBeforeStartIsInternalError() throws Exception {
        RunResult result = runIn(KubeletEmulator.Mode.DEADLINE_BEFORE_START, Map.of());
        assertInternalError("the sandbox pod reached its deadline before its container started", result);
    }

    @Test
    @DisplayName("without the runner ConfigMap the pod never starts, and the run ends at its deadline as internal_error")
    void missingRunnerConfigMapIsInternalError() throws Exception {
        cluster.admin.configMaps().inNamespace(MockCluster.NAMESPACE).withName(MockCluster.config().runnerConfigMap())
                .delete();
        RunResult result = runIn(KubeletEmulator.Mode.REAL, Map.of());
        assertInternalError("the sandbox pod reached its deadline before its container started", result);
    }

    @Test
    @DisplayName("a pod that never reports its end is given up at the executor's deadline")
    void silentPodIsGivenUpAtTheExecutorDeadline() throws Exception {
        RunRequest oneSecond = RunRequest.of("print(1)", "", new Limits(1000, 1000, 128, 65536, 16 << 20, 64));
        executor = readyExecutor(Map.of("startup-timeout-ms", "1000", "completion-margin-ms", "200"));
        cluster.kubelet.mode(KubeletEmulator.Mode.NEVER_ENDS);
        assertInternalError("the sandbox pod did not report its end in time", executor.run(oneSecond, RunId.random()));
    }

    @Test
    @DisplayName("a pod deleted under its run ends the run as internal_error")
    void podDeletedUnderItsRunIsInternalError() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.kubelet.mode(KubeletEmulator.Mode.NEVER_ENDS);
        RunId id = RunId.random();
        CompletableFuture<RunResult> result = CompletableFuture.supplyAsync(() -> runQuietly(HELLO, id));
        Await.until("the pod runs", Duration.ofSeconds(30), () -> running(PodNames.of(id)));
        cluster.admin.pods().inNamespace(MockCluster.NAMESPACE).withName(PodNames.of(id)).delete();
        assertInternalError("the sandbox pod was deleted before it finished", result.join());
    }

    @Test
    @DisplayName("an interrupted run deletes its pod and ends with InterruptedException")
    void interruptedRunDeletesItsPod() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.kubelet.mode(KubeletEmulator.Mode.NEVER_ENDS);
        RunId id = RunId.random();
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread run = Thread.startVirtualThread(() -> {
            try {
                failure.complete(new AssertionError("returned " + executor.run(HELLO, id)));
            } catch (Throwable e) {
                failure.complete(e);
            }
        });
        Await.until("the pod runs", Duration.ofSeconds(30), () -> running(PodNames.of(id)));
        run.interrupt();
        assertTrue(failure.join() instanceof InterruptedException, failure.join().toString());
    }

    @Test
    @DisplayName("closing the executor under a run ends it as 503 and leaves no pod")
    void closeUnderARunIsUnavailable() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.kubelet.mode(KubeletEmulator.Mode.NEVER_ENDS);
        RunId id = RunId.random();
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        Thread.startVirtualThread(() -> {
            try {
                failure.complete(new AssertionError("returned " + executor.run(HELLO, id)));
            } catch (Throwable e) {
                failure.complete(e);
            }
        });
        Await.until("the pod runs", Duration.ofSeconds(30), () -> running(PodNames.of(id)));
        executor.close();
        assertTrue(failure.join() instanceof BackendUnavailableException, failure.join().toString());
    }

    @Test
    @DisplayName("quota exceeded (403) is 503 with Retry-After, without the quota's name")
    void quotaExceededIsBackendUnavailable() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.kubelet.rejectCreates(1, 403, "Forbidden", "pods \"sandpod-run-0\" is forbidden: exceeded quota: "
                + "sandbox-quota, requested: pods=1, used: pods=20, limited: pods=20");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> executor.run(HELLO, RunId.random()));
        assertEquals(Duration.ofSeconds(3), e.retryAfter());
        assertEquals("the sandbox quota is exhausted; try again shortly", e.getMessage());
    }

    @Test
    @DisplayName("an RBAC or admission 403 is internal_error, without the API server's text")
    void forbiddenIsInternalError() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.kubelet.rejectCreates(1, 403, "Forbidden", "pods is forbidden: User "
                + "\"system:serviceaccount:sandpod:sandpod\" cannot create resource \"pods\" in API group \"\"");
        assertInternalError("the cluster refused the sandbox pod (HTTP 403)", executor.run(HELLO, RunId.random()));
    }

    @Test
    @DisplayName("an invalid pod (422) is internal_error")
    void invalidPodIsInternalError() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.kubelet.rejectCreates(1, 422, "Invalid", "Pod \"x\" is invalid: spec.containers[0].resources.limits");
        assertInternalError("the cluster refused the sandbox pod (HTTP 422)", executor.run(HELLO, RunId.random()));
    }

    @Test
    @DisplayName("API server errors (5xx), after the client's one retry, are 503")
    void apiServerErrorIsBackendUnavailable() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.kubelet.rejectCreates(2, 500, "InternalError", "etcdserver: request timed out");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> executor.run(HELLO, RunId.random()));
        assertEquals("the Kubernetes API server is unavailable", e.getMessage());
    }

    @Test
    @DisplayName("a job over one env string is refused with 413 before any API call")
    void jobTooLargeMakesNoApiCall() throws Exception {
        executor = readyExecutor(Map.of());
        cluster.drainRequests(MockCluster.EXECUTOR_AGENT);
        RunRequest huge = RunRequest.of("print(1)", "x".repeat(PodSpecs.MAX_JOB_BYTES), DEFAULTS);
        assertThrows(JobTooLargeException.class, () -> executor.run(huge, RunId.random()));
        assertEquals(List.of(), cluster.drainRequests(MockCluster.EXECUTOR_AGENT));
    }

    private RunResult runIn(KubeletEmulator.Mode mode, Map<String, String> config) throws InterruptedException {
        executor = readyExecutor(config);
        cluster.kubelet.mode(mode);
        return executor.run(HELLO, RunId.random());
    }

    private KubernetesExecutor readyExecutor(Map<String, String> config) throws InterruptedException {
        KubernetesExecutor started = cluster.executor(MockCluster.config(config));
        Await.ready(started);
        return started;
    }

    private boolean running(String podName) {
        Pod pod = cluster.admin.pods().inNamespace(MockCluster.NAMESPACE).withName(podName).get();
        return pod != null && pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
    }

    private RunResult runQuietly(RunRequest request, RunId id) {
        try {
            return executor.run(request, id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertInternalError(String detail, RunResult result) {
        assertEquals(Status.INTERNAL_ERROR, result.status());
        assertEquals(detail, result.detail());
        assertEquals("kubernetes", result.backend());
        assertNull(result.exitCode());
        assertFalse(result.detail().contains("emulated"), "the kubelet's message must not reach the client");
        assertTrue(result.stdout().isEmpty());
    }
}
