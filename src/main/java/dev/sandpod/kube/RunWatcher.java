package dev.sandpod.kube;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The replica's one watch on sandbox pods: a shared informer on the sandbox label that completes each awaited run's
 * future when its pod has finished or can never start. No run watches or polls on its own.
 *
 * <p>The informer sees the pods of every replica, which gives the {@link Reaper} its view of the namespace for free.
 * Objects from its cache are shared and are never modified.
 */
final class RunWatcher implements ResourceEventHandler<Pod>, AutoCloseable {
    private final String namespace;
    private final SharedIndexInformer<Pod> informer;
    private final CompletableFuture<Void> firstSync;
    private final ConcurrentMap<String, CompletableFuture<Pod>> awaited = new ConcurrentHashMap<>();

    /**
     * Starts the informer without waiting for it: {@code inform()} would block the boot and throw while the API is down,
     * and the default exception handler stops an informer for good when its first list fails. This one retries with
     * back-off until the API answers, and {@link #unreadyReason()} reports the state meanwhile.
     */
    RunWatcher(KubernetesClient client, String namespace) {
        this.namespace = namespace;
        // no resync: a run registers before its pod exists, so no event can precede it and none needs repeating
        this.informer = client.pods().inNamespace(namespace)
                .withLabel(Labels.COMPONENT, Labels.SANDBOX)
                .runnableInformer(0);
        informer.exceptionHandler((started, error) -> true);
        informer.addEventHandler(this);
        this.firstSync = informer.start().toCompletableFuture();
    }

    /** Completes once the first list is in the cache and the watch is up. */
    CompletableFuture<Void> firstSync() {
        return firstSync;
    }

    /** The cache holds a full list, though it may be stale while the watch is down. */
    boolean synced() {
        return informer.hasSynced();
    }

    /** The future of a pod's end; register it before creating the pod so that no event can be missed. */
    CompletableFuture<Pod> await(String podName) {
        return awaited.computeIfAbsent(podName, name -> new CompletableFuture<>());
    }

    void forget(String podName) {
        awaited.remove(podName);
    }

    boolean awaiting(String podName) {
        return awaited.containsKey(podName);
    }

    Optional<Pod> cached(String podName) {
        return Optional.ofNullable(informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, podName)));
    }

    List<Pod> cachedPods() {
        return informer.getStore().list();
    }

    /** Why runs cannot be followed right now, or null when the informer is synced and watching. */
    String unreadyReason() {
        if (!informer.isRunning()) {
            return "the sandbox pod informer is stopped";
        }
        if (!informer.hasSynced()) {
            return "the sandbox pod informer has not synced with the Kubernetes API yet";
        }
        if (!informer.isWatching()) {
            return "the watch on sandbox pods is down; the Kubernetes API may be unreachable";
        }
        return null;
    }

    @Override
    public void onAdd(Pod pod) {
        settle(pod);
    }

    @Override
    public void onUpdate(Pod oldPod, Pod newPod) {
        settle(newPod);
    }

    /** A pod deleted under a run ends it with its last known state, which the executor then finds unfinished. */
    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        complete(pod);
    }

    /** Ends every wait with a cancellation: the service is stopping. */
    void cancelAwaited() {
        awaited.values().forEach(future -> future.cancel(false));
    }

    @Override
    public void close() {
        informer.close();
        cancelAwaited();
    }

    private void settle(Pod pod) {
        if (PodState.ended(pod)) {
            complete(pod);
        }
    }

    private void complete(Pod pod) {
        CompletableFuture<Pod> future = awaited.get(pod.getMetadata().getName());
        if (future != null) {
            future.complete(pod);
        }
    }
}
