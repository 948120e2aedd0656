package dev.sandpod.attacks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import dev.sandpod.kube.KubernetesExecutor;
import dev.sandpod.kube.MockCluster;
import dev.sandpod.run.Executor;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The Kubernetes backend against the fabric8 mock API server, whose kubelet emulator runs each pod's command for real
 * (the same runner, the job from the pod's env var) as the pod's UID, PID 1 of its own PID namespace. The emulator
 * enforces neither cgroups, seccomp nor a network policy; those are the cluster's, checked on the pod spec by the
 * Kubernetes package's tests. What it does run is everything the pod itself carries: the runner's limits and
 * integrity, {@code activeDeadlineSeconds}, and the executor's pod lifecycle.
 */
final class KubernetesBackend implements Backend {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Duration READY = Duration.ofSeconds(30);
    /** The pods' UID range of application.yaml ({@code sandpod.kubernetes.uid-min/max}). */
    private static final int UID_MIN = 100000;
    private static final int UID_MAX = 165535;

    private final MockCluster cluster;
    private final KubernetesExecutor executor;

    private KubernetesBackend() {
        cluster = new MockCluster();
        executor = cluster.executor(MockCluster.config());
        long deadline = System.nanoTime() + READY.toNanos();
        while (executor.unreadyReason() != null && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        assertNull(executor.unreadyReason(), "the Kubernetes backend must get ready against the mock API server");
    }

    static Map<String, String> settings() {
        return Map.of("sandpod.backend", "kubernetes");
    }

    static KubernetesBackend start() {
        return new KubernetesBackend();
    }

    @Override
    public Executor executor() {
        return executor;
    }

    @Override
    public Path python() {
        return PYTHON;
    }

    @Override
    public HostInvariants.Scope scope() {
        return new HostInvariants.Scope(0, UID_MIN, UID_MAX, List.of(), null);
    }

    @Override
    public List<String> leftovers() {
        return cluster.pods().stream().map(pod -> "pod left in the API server: " + pod.getMetadata().getName())
                .toList();
    }

    @Override
    public void close() {
        executor.close();
        cluster.close();
    }
}
