package dev.sandpod.kube;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandpod.run.JobTooLargeException;
import dev.sandpod.run.Kept;
import dev.sandpod.run.Limits;
import dev.sandpod.run.OutputFile;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Kubernetes warm pool (DESIGN §6): standby pods waiting on stdin, claimed once each, fed over attach. */
class WarmPoolTest {
    private static final Limits DEFAULTS = MockCluster.defaultLimits();
    private static final String PODS = "/api/v1/namespaces/" + MockCluster.NAMESPACE + "/pods";

    private MockCluster cluster;
    private KubernetesExecutor executor;

    @BeforeEach
    void start() {
        cluster = new MockCluster();
    }

    @AfterEach
    void closingLeavesNoPod() {
        try {
            if (executor != null) {
                executor.close();
                assertEquals(List.of(), cluster.pods(), "standby pods go with their replica");
            }
        } finally {
            cluster.close();
        }
    }

    @Test
    @DisplayName("the pool keeps pool-size standby pods whose runner waits for its job on stdin")
    void poolKeepsStandbyPodsWaitingOnStdin() throws Exception {
        startPool(2);
        List<Pod> standby = cluster.pods();
        assertEquals(2, standby.size());
        for (Pod pod : standby) {
            Container container = pod.getSpec().getContainers().getFirst();
            assertEquals(List.of("python3", "-I", "/sandpod/runner.py", "--job-stdin", "--rlimit-nproc", "--workdir",
                    "/tmp/run"), container.getCommand());
            assertTrue(container.getEnv().isEmpty(), "no job in the environment");
            assertEquals(Boolean.TRUE, container.getStdin());
            assertEquals(Boolean.TRUE, container.getStdinOnce());
            assertEquals(PodSpecs.STANDBY_DEADLINE_SECONDS, pod.getSpec().getActiveDeadlineSeconds());
            assertEquals(Labels.STANDBY, pod.getMetadata().getLabels().get(Labels.STATE));
            assertEquals(MockCluster.REPLICA, pod.getMetadata().getLabels().get(Labels.REPLICA));
        }
    }

    @Test
    @DisplayName("a warm run claims a standby pod, sends its job over attach, reads the result there, and deletes the pod")
    void warmRunGoesThroughAttach() throws Exception {
        startPool(1);
        String standby = cluster.pods().getFirst().getMetadata().getName();
        cluster.drainRequests(MockCluster.EXECUTOR_AGENT);
        RunId id = RunId.random();
        RunResult result = executor.run(RunRequest.of("print(input().upper())", "warm", DEFAULTS), id);
        assertEquals(Status.OK, result.status(), result::detail);
        assertEquals("WARM\n", result.stdout());
        List<String> forThePod = cluster.drainRequests(MockCluster.EXECUTOR_AGENT).stream()
                .filter(request -> request.getPath().startsWith(PODS + "/" + standby))
                .map(request -> request.getMethod() + " " + request.getPath()).toList();
        assertEquals(List.of("PATCH " + PODS + "/" + standby,
                "GET " + PODS + "/" + standby + "/attach?container=sandbox&stdin=true&stdout=true",
                "DELETE " + PODS + "/" + standby), forThePod);
    }

    @Test
    @DisplayName("an asynchronous warm run's claimed pod is kept, labelled and annotated as a cold one, its end marked")
    void asynchronousWarmRunKeepsItsPod() throws Exception {
        startPool(1);
        String standby = cluster.pods().getFirst().getMetadata().getName();
        RunId id = RunId.random();
        RunRequest request = RunRequest.of("print(input().upper())", "warm", DEFAULTS)
                .withKept(new Kept("alice", Duration.ofMinutes(5)));
        RunResult result = executor.run(request, id);
        assertEquals(Status.OK, result.status(), result::detail);
        Pod kept = cluster.pods().stream().filter(pod -> pod.getMetadata().getName().equals(standby)).findFirst()
                .orElseThrow(() -> new AssertionError("the claimed pod of an asynchronous run was deleted"));
        assertEquals(Labels.KEPT_VALUE, kept.getMetadata().getLabels().get(Labels.KEPT));
        assertEquals(id.value(), kept.getMetadata().getLabels().get(Labels.RUN));
        Map<String, String> annotations = kept.getMetadata().getAnnotations();
        assertEquals("alice", annotations.get(KeptAnnotations.KEY));
        assertEquals("300", annotations.get(KeptAnnotations.TTL_SECONDS));
        assertEquals(RunShape.of(request, true), RunShape.from(annotations), "an asynchronous run streams");
        assertTrue(annotations.containsKey(KeptAnnotations.EXPIRES), "the end set no expiry");
        assertEquals(Optional.of(result), StoredResult.read(annotations.get(KeptAnnotations.RESULT), id, "kubernetes"));
        cluster.admin.pods().inNamespace(MockCluster.NAMESPACE).withName(standby).delete(); // kept past close otherwise
    }

    @Test
    @DisplayName("a warm run's out/ files come back over attach, and the next warm run, in a pod of its own, sees none")
    void warmFilesOutStayWithTheirRun() throws Exception {
        startPool(2);
        RunResult first = executor.run(RunRequest.of("""
                import os, sys
                os.makedirs('out')
                with open('out/result.csv', 'w') as f:
                    f.write('x,y\\n1,2\\n')
                print(sys.flags.isolated)
                """, "", DEFAULTS), RunId.random());
        RunResult second = executor.run(RunRequest.of("import os, sys\nprint(os.path.exists('out'), sys.flags.isolated)",
                "", DEFAULTS), RunId.random());

        assertEquals("1\n", first.stdout(), "forked in a standby pod: " + first);
        assertEquals(List.of(new OutputFile("result.csv", 8, "text/csv", "eCx5CjEsMgo=")), first.files());
        assertEquals("False 1\n", second.stdout(), second::toString);
        assertEquals(List.of(), second.files());
    }

    @Test
    @DisplayName("the claim relabels the pod with the run and lowers its deadline to its age plus the run's deadline")
    void claimRelabelsAndLowersTheDeadline() throws Exception {
        startPool(1);
        String standby = cluster.pods().getFirst().getMetadata().getName();
        cluster.drainRequests(MockCluster.EXECUTOR_AGENT);
        RunId id = RunId.random();
        executor.run(RunRequest.of("print(1)", "", DEFAULTS), id);
        RecordedRequest claim = cluster.drainRequests(MockCluster.EXECUTOR_AGENT).stream()
                .filter(request -> "PATCH".equals(request.getMethod())).findFirst().orElseThrow();
        assertEquals("application/merge-patch+json", claim.getHeader("Content-Type").split(";")[0]);
        assertEquals(PODS + "/" + standby, claim.getPath());
        JsonNode patch = new ObjectMapper().readTree(cluster.kubelet.patches().getLast());
        assertEquals(Labels.CLAIMED, patch.path("metadata").path("labels").path(Labels.STATE).asText());
        assertEquals(id.value(), patch.path("metadata").path("labels").path(Labels.RUN).asText());
        assertTrue(patch.path("metadata").path("resourceVersion").isTextual(), "the claim's precondition");
        long deadline = patch.path("spec").path("activeDeadlineSeconds").asLong();
        assertTrue(deadline >= 3 && deadline < PodSpecs.STANDBY_DEADLINE_SECONDS, "age + 3 s: " + deadline);
    }

    @Test
    @DisplayName("the emulated API server refuses to raise a live pod's deadline, as Kubernetes does, and lets it go down")
    void deadlineMayOnlyGoDown() throws Exception {
        startPool(1);
        String standby = cluster.pods().getFirst().getMetadata().getName();
        var pod = cluster.admin.pods().inNamespace(MockCluster.NAMESPACE).withName(standby);
        KubernetesClientException raised = assertThrows(KubernetesClientException.class, () -> pod.patch(
                PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"activeDeadlineSeconds\":601}}"));
        assertEquals(422, raised.getCode());
        pod.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"activeDeadlineSeconds\":599}}");
        assertEquals(599L, pod.get().getSpec().getActiveDeadlineSeconds());
    }

    @Test
    @DisplayName("a job over the size cap is refused with 413 before it can use up a standby pod")
    void jobTooLargeClaimsNothing() throws Exception {
        startPool(1);
        RunRequest huge = RunRequest.of("print(1)", "x".repeat(PodSpecs.MAX_JOB_BYTES), DEFAULTS);
        assertThrows(JobTooLargeException.class, () -> executor.run(huge, RunId.random()));
        assertEquals(Labels.STANDBY, cluster.pods().getFirst().getMetadata().getLabels().get(Labels.STATE));
    }

    @Test
    @DisplayName("two runs racing for one standby pod: exactly one wins it")
    void oneStandbyPodHasOneWinner() throws Exception {
        cluster.kubelet.mode(KubeletEmulator.Mode.REAL);
        KubeConfig config = MockCluster.config(Map.of("pool-size", "1"));
        try (KubernetesClient client = cluster.client(MockCluster.EXECUTOR_AGENT);
             RunWatcher watcher = new RunWatcher(client, MockCluster.NAMESPACE);
             WarmPool pool = new WarmPool(new ApiCalls(client), config, new PodSpecs(config), new Uids(100_000, 165_535, 1),
                     watcher, DEFAULTS)) {
            Await.until("a standby pod runs", Duration.ofSeconds(30), () -> standbyRunning(watcher) == 1);
            RunRequest request = RunRequest.of("print(1)", "", DEFAULTS);
            List<Future<Optional<String>>> claims;
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                claims = List.of(threads.submit(() -> pool.claim(request, RunId.random(), Duration.ofSeconds(30))),
                        threads.submit(() -> pool.claim(request, RunId.random(), Duration.ofSeconds(30))));
            }
            long winners = 0;
            for (Future<Optional<String>> claim : claims) {
                winners += claim.get().isPresent() ? 1 : 0;
            }
            assertEquals(1, winners);
            pool.close();
            ApiCalls api = new ApiCalls(client);
            for (Pod pod : cluster.pods()) {
                SandboxPods.delete(api, MockCluster.NAMESPACE, pod.getMetadata().getName(), Duration.ofSeconds(30));
            }
        }
    }

    @Test
    @DisplayName("runs beyond the pool, and runs sized otherwise, go cold and still succeed")
    void emptyPoolFallsBackToColdPods() throws Exception {
        startPool(1);
        List<Future<RunResult>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 3; i++) {
                RunRequest request = RunRequest.of("print(input())", "run " + i, DEFAULTS);
                results.add(threads.submit(() -> executor.run(request, RunId.random())));
            }
            Limits bigger = new Limits(2000, 2000, 256, 65536, 16 << 20, 64);
            results.add(threads.submit(() -> executor.run(RunRequest.of("print(input())", "run 3", bigger), RunId.random())));
        }
        for (int i = 0; i < results.size(); i++) {
            assertEquals("run " + i + "\n", results.get(i).get().stdout());
        }
    }

    private void startPool(int size) throws InterruptedException {
        cluster.kubelet.mode(KubeletEmulator.Mode.REAL);
        executor = cluster.executor(MockCluster.config(Map.of("pool-size", Integer.toString(size))));
        Await.ready(executor);
        Await.until(size + " standby pods run", Duration.ofSeconds(30), () -> cluster.pods().stream()
                .filter(pod -> pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())).count() == size);
    }

    private static long standbyRunning(RunWatcher watcher) {
        return watcher.cachedPods().stream().filter(pod -> pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase())).count();
    }
}
