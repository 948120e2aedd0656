package dev.sandpod.kube;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Deletes sandbox pods that outlived their deadline plus a margin, whichever replica made them, so that the pods of a
 * replica that died are not left behind; on close, deletes this replica's own pods.
 *
 * <p>It reads the shared informer's cache, so a sweep costs no API call unless it finds something to delete.
 */
final class Reaper implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Reaper.class.getName());

    private final KubernetesClient client;
    private final KubeConfig config;
    private final RunWatcher watcher;
    private final ScheduledExecutorService scheduler;

    Reaper(KubernetesClient client, KubeConfig config, RunWatcher watcher) {
        this.client = client;
        this.config = config;
        this.watcher = watcher;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sandpod-reaper").daemon().factory());
        long interval = config.reapInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::sweepQuietly, interval, interval, TimeUnit.MILLISECONDS);
        watcher.firstSync().thenRunAsync(this::sweepQuietly, scheduler); // the start-up sweep, as soon as the cache is full
    }

    /**
     * Deletes every expired sandbox pod in the cache that no run of this replica is still waiting for.
     *
     * @return how many pods it deleted
     */
    int sweep() {
        if (!watcher.synced()) {
            return 0;
        }
        Instant now = Instant.now();
        int deleted = 0;
        for (Pod pod : watcher.cachedPods()) {
            String name = pod.getMetadata().getName();
            if (expired(pod, now) && !watcher.awaiting(name) && SandboxPods.delete(client, config.namespace(), name)) {
                deleted++;
            }
        }
        return deleted;
    }

    /**
     * A pod has expired when its deadline plus the margin has passed, counted from {@code status.startTime} as the kubelet
     * counts it, or for a pod that never started from its creation plus the startup timeout.
     */
    boolean expired(Pod pod, Instant now) {
        Long deadline = pod.getSpec().getActiveDeadlineSeconds();
        String startTime = pod.getStatus() == null ? null : pod.getStatus().getStartTime();
        Instant start = startTime != null
                ? Instant.parse(startTime)
                : Instant.parse(pod.getMetadata().getCreationTimestamp()).plus(config.startupTimeout());
        return now.isAfter(start.plus(Duration.ofSeconds(deadline == null ? 0 : deadline)).plus(config.reapMargin()));
    }

    /** Stops sweeping and deletes this replica's own sandbox pods in one call. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            SandboxPods.deleteOfReplica(client, config.namespace(), config.replica());
        } catch (KubernetesClientException e) {
            LOG.log(Level.WARNING, "cannot delete this replica's sandbox pods on shutdown; other replicas' reapers will", e);
        }
    }

    private void sweepQuietly() {
        try {
            int deleted = sweep();
            if (deleted > 0) {
                LOG.log(Level.INFO, "reaped {0} expired sandbox pod(s)", deleted);
            }
        } catch (RuntimeException e) { // an escaping exception would cancel every later sweep
            LOG.log(Level.WARNING, "sandbox pod sweep failed; next try in " + config.reapInterval(), e);
        }
    }
}
