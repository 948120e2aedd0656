package dev.sandpod.kube;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Deletes, on a platform thread of its own, the sandbox pods that a run could not delete itself (the API server failed
 * or did not answer in time), retrying with back-off until the API server has them gone; and the pods that outlived
 * their deadline plus a margin, whichever replica made them, so that the pods of a replica that died are not left
 * behind either; the kept pods of asynchronous runs once their results expire. On close, it deletes this replica's own
 * pods but the kept ones, whose results outlive it.
 *
 * <p>Run threads never wait on a failing API server for a delete: they hand the pod over here. Sweeps read the shared
 * informer's cache, so a sweep costs no API call unless it finds something to delete.
 */
final class Reaper implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Reaper.class.getName());
    private static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration LAST_RETRY = Duration.ofSeconds(5);
    /** Past this many, a pod whose delete failed is left to the sweep, which finds it once it has expired. */
    private static final int MAX_HANDED_OVER = 10_000;

    private final ApiCalls api;
    private final KubeConfig config;
    private final RunWatcher watcher;
    private final ScheduledExecutorService scheduler;
    private final Set<String> handedOver = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean retryScheduled = new AtomicBoolean();
    /** Read and written on the scheduler's thread only. */
    private Duration backOff = FIRST_RETRY;

    Reaper(ApiCalls api, KubeConfig config, RunWatcher watcher) {
        this.api = api;
        this.config = config;
        this.watcher = watcher;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sandpod-reaper").daemon().factory());
        long interval = config.reapInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::sweepQuietly, interval, interval, TimeUnit.MILLISECONDS);
        watcher.firstSync().thenRunAsync(this::sweepQuietly, scheduler); // the start-up sweep, as soon as the cache is full
    }

    /** Deletes the pod from the reaper's thread, soon and then again until the API server has it gone. */
    void deleteLater(String podName) {
        if (handedOver.size() >= MAX_HANDED_OVER) {
            LOG.log(Level.WARNING, "{0} sandbox pod deletes are waiting already; {1} is left to the sweep", MAX_HANDED_OVER,
                    podName);
            return;
        }
        handedOver.add(podName);
        scheduleRetry(FIRST_RETRY);
    }

    /**
     * Deletes every expired sandbox pod in the cache that no run of this replica is still waiting for.
     *
     * @return how many pods it deleted
     */
    int sweep() throws InterruptedException {
        if (!watcher.synced()) {
            return 0;
        }
        Instant now = Instant.now();
        int deleted = 0;
        for (Pod pod : watcher.cachedPods()) {
            String name = pod.getMetadata().getName();
            if (expired(pod, now) && !watcher.awaiting(name)
                    && SandboxPods.delete(api, config.namespace(), name, api.callTimeout())) {
                deleted++;
            }
        }
        return deleted;
    }

    /**
     * A pod has expired when its deadline plus the margin has passed, counted from {@code status.startTime} as the kubelet
     * counts it, or for a pod that never started from its creation plus the startup timeout. A kept pod of an
     * asynchronous run ({@link KeptPods}) expires when its result does: at the time its end set, or, when the replica
     * running it died before the end, at the latest its run could have ended plus its TTL.
     */
    boolean expired(Pod pod, Instant now) {
        Long deadline = pod.getSpec().getActiveDeadlineSeconds();
        String startTime = pod.getStatus() == null ? null : pod.getStatus().getStartTime();
        Instant start = startTime != null
                ? Instant.parse(startTime)
                : Instant.parse(pod.getMetadata().getCreationTimestamp()).plus(config.startupTimeout());
        Instant overdue = start.plus(Duration.ofSeconds(deadline == null ? 0 : deadline)).plus(config.reapMargin());
        if (!Labels.kept(pod)) {
            return now.isAfter(overdue);
        }
        return now.isAfter(KeptAnnotations.expires(pod)
                .orElseGet(() -> overdue.plus(KeptAnnotations.ttl(pod).orElse(Duration.ZERO))));
    }

    /**
     * Stops sweeping and deletes this replica's own sandbox pods in one call, the ones handed over among them, but the
     * kept pods of asynchronous runs.
     */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            SandboxPods.deleteOfReplica(api, config.namespace(), config.replica(), api.callTimeout());
        } catch (KubernetesClientException e) {
            LOG.log(Level.WARNING, "cannot delete this replica's sandbox pods on shutdown; other replicas' reapers will", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tries each pod handed over, and stops at the first failure: the API server is down, the rest would fail too. */
    private void retryHandedOver() {
        retryScheduled.set(false);
        try {
            for (String name : handedOver) {
                SandboxPods.delete(api, config.namespace(), name, api.callTimeout());
                handedOver.remove(name);
            }
            backOff = FIRST_RETRY;
        } catch (KubernetesClientException e) {
            backOff = backOff.multipliedBy(2).compareTo(LAST_RETRY) < 0 ? backOff.multipliedBy(2) : LAST_RETRY;
            LOG.log(Level.DEBUG, "sandbox pod delete failed; " + handedOver.size() + " to retry in " + backOff, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!handedOver.isEmpty()) {
            scheduleRetry(backOff);
        }
    }

    private void scheduleRetry(Duration delay) {
        if (retryScheduled.compareAndSet(false, true)) {
            try {
                scheduler.schedule(this::retryHandedOver, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // closing: close() deletes this replica's pods in one call
            }
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
