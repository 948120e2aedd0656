package dev.sandpod.kube;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.sandpod.run.Kept;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expired sandbox pods go, whoever made them; on shutdown a replica removes its own. */
class ReaperTest {
    private static final RunRequest HELLO = RunRequest.of("print(1)", "", new Limits(2000, 2000, 128, 65536, 16 << 20, 64));
    private static final String DEAD_REPLICA = "replica-dead";
    private static final Duration KEPT_TTL = Duration.ofHours(1);

    private MockCluster cluster;

    @BeforeEach
    void start() {
        cluster = new MockCluster();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    @DisplayName("pods of a dead replica past their deadline are reaped when a replica starts")
    void deadReplicaPodsAreReapedOnStart() throws Exception {
        String expired = createPod(DEAD_REPLICA, Instant.now().minus(Duration.ofMinutes(10)));
        try (KubernetesExecutor executor = cluster.executor(MockCluster.config())) {
            Await.until("the expired pod is reaped", Duration.ofSeconds(30), () -> podNames().isEmpty());
            assertNull(executor.unreadyReason());
        }
        assertFalse(podNames().contains(expired));
    }

    @Test
    @DisplayName("a sweep deletes only pods past deadline plus margin, counting from startTime or creation plus startup")
    void sweepSparesPodsWithinTheirDeadline() throws Exception {
        cluster.kubelet.mode(KubeletEmulator.Mode.STUCK_PENDING);
        String expired = createPod(DEAD_REPLICA, Instant.now().minus(Duration.ofSeconds(3 + 30 + 5)));
        String running = createPod(DEAD_REPLICA, Instant.now().minus(Duration.ofSeconds(3 + 30 - 5)));
        String pending = createPod(DEAD_REPLICA, null);
        KubeConfig config = MockCluster.config(Map.of("reap-interval-seconds", "3600"));
        try (KubernetesClient client = cluster.client(MockCluster.EXECUTOR_AGENT);
             RunWatcher watcher = new RunWatcher(client, MockCluster.NAMESPACE)) {
            Await.until("the informer has all three pods", Duration.ofSeconds(30), () -> watcher.cachedPods().size() == 3);
            Reaper reaper = new Reaper(new ApiCalls(client), config.withReplica("replica-sweeper"), watcher);
            Await.until("the start-up sweep is done", Duration.ofSeconds(30), () -> !podNames().contains(expired));
            assertEquals(0, reaper.sweep());
            assertEquals(Set.of(running, pending), podNames());
            Pod pendingPod = watcher.cached(pending).orElseThrow();
            Instant created = Instant.parse(pendingPod.getMetadata().getCreationTimestamp());
            assertFalse(reaper.expired(pendingPod, created.plusSeconds(30 + 3 + 30)));
            assertTrue(reaper.expired(pendingPod, created.plusSeconds(30 + 3 + 30 + 1)));
        }
    }

    @Test
    @DisplayName("on shutdown a replica deletes its own pods and leaves other replicas' pods alone")
    void closeDeletesOwnPodsOnly() throws Exception {
        String own = createPod(MockCluster.REPLICA, Instant.now());
        String other = createPod("replica-b", Instant.now());
        KubernetesExecutor executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        executor.close();
        assertEquals(Set.of(other), podNames());
        assertFalse(podNames().contains(own));
    }

    @Test
    @DisplayName("the reaper never deletes a pod its replica is still following")
    void followedPodsAreSpared() throws Exception {
        KubeConfig config = MockCluster.config(Map.of("reap-interval-seconds", "3600"));
        try (KubernetesClient client = cluster.client(MockCluster.EXECUTOR_AGENT);
             RunWatcher watcher = new RunWatcher(client, MockCluster.NAMESPACE)) {
            Await.until("the informer syncs", Duration.ofSeconds(30), () -> watcher.unreadyReason() == null);
            String followed = createPod(MockCluster.REPLICA, Instant.now().minus(Duration.ofMinutes(10)));
            watcher.await(followed);
            Await.until("the informer sees the pod", Duration.ofSeconds(30), () -> watcher.cached(followed).isPresent());
            Reaper reaper = new Reaper(new ApiCalls(client), config, watcher);
            assertEquals(0, reaper.sweep());
            assertEquals(Set.of(followed), podNames());
            watcher.forget(followed);
            assertEquals(1, reaper.sweep());
            reaper.close();
        }
        assertEquals(List.of(), cluster.pods());
    }

    @Test
    @DisplayName("a kept pod of an asynchronous run is reaped once its expiry passes, long after its deadline, not before")
    void keptPodsAreReapedAtTheirExpiry() throws Exception {
        Instant longAgo = Instant.now().minus(Duration.ofMinutes(10));
        String expired = createKeptPod(DEAD_REPLICA, longAgo, Instant.now().minusSeconds(1));
        String readable = createKeptPod(DEAD_REPLICA, longAgo, Instant.now().plus(Duration.ofMinutes(30)));
        String unmarked = createKeptPod(DEAD_REPLICA, longAgo, null);
        try (KubernetesExecutor executor = cluster.executor(MockCluster.config())) {
            Await.until("the expired kept pod is reaped", Duration.ofSeconds(30), () -> !podNames().contains(expired));
            assertEquals(Set.of(readable, unmarked), podNames());
        }
    }

    @Test
    @DisplayName("a kept pod whose replica died before its end expires at its deadline plus the margin plus its TTL")
    void unmarkedKeptPodExpiresAtItsLatestEndPlusTtl() throws Exception {
        Instant start = Instant.now().minus(Duration.ofMinutes(10));
        String name = createKeptPod(DEAD_REPLICA, start, null);
        Pod pod = cluster.pods().stream().filter(p -> p.getMetadata().getName().equals(name)).findFirst().orElseThrow();
        try (KubernetesClient client = cluster.client(MockCluster.EXECUTOR_AGENT);
             RunWatcher watcher = new RunWatcher(client, MockCluster.NAMESPACE)) {
            Reaper reaper = new Reaper(new ApiCalls(client), MockCluster.config(Map.of("reap-interval-seconds", "3600")),
                    watcher);
            Instant latestEnd = start.plusSeconds(3 + 30); // its deadline of 3 s, and the margin
            assertFalse(reaper.expired(pod, latestEnd.plus(KEPT_TTL)));
            assertTrue(reaper.expired(pod, latestEnd.plus(KEPT_TTL).plusSeconds(1)));
        }
    }

    @Test
    @DisplayName("on shutdown a replica deletes its own pods but its kept ones, whose results outlive it")
    void closeLeavesKeptPods() throws Exception {
        String own = createPod(MockCluster.REPLICA, Instant.now());
        String kept = createKeptPod(MockCluster.REPLICA, Instant.now(), null);
        KubernetesExecutor executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        executor.close();
        assertEquals(Set.of(kept), podNames());
        assertFalse(podNames().contains(own));
    }

    /** A sandbox pod as another replica would have left it; {@code startTime} null means it never started. */
    private String createPod(String replica, Instant startTime) {
        return createPod(replica, HELLO, startTime, null);
    }

    /** The pod of an asynchronous run, whose end set its expiry unless {@code expires} is null. */
    private String createKeptPod(String replica, Instant startTime, Instant expires) {
        return createPod(replica, HELLO.withKept(new Kept("alice", KEPT_TTL)), startTime, expires);
    }

    private String createPod(String replica, RunRequest request, Instant startTime, Instant expires) {
        RunId id = RunId.random();
        Pod pod = new PodSpecs(MockCluster.config().withReplica(replica)).podFor(request, id, 100_000);
        PodBuilder builder = new PodBuilder(pod);
        if (expires != null) {
            builder.editMetadata().addToAnnotations(KeptAnnotations.EXPIRES, expires.toString()).endMetadata();
        }
        if (startTime != null) {
            builder.withNewStatus().withPhase("Running").withStartTime(startTime.toString()).endStatus();
        }
        cluster.admin.pods().inNamespace(MockCluster.NAMESPACE).resource(builder.build()).create();
        return pod.getMetadata().getName();
    }

    private Set<String> podNames() {
        return cluster.pods().stream().map(pod -> pod.getMetadata().getName()).collect(Collectors.toSet());
    }
}
