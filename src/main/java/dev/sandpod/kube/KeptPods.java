package dev.sandpod.kube;

import java.lang.System.Logger.Level;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.KeptRun;
import dev.sandpod.run.KeptRuns;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * The asynchronous runs whose pods outlive them (label {@link Labels#KEPT}, {@link KeptAnnotations}), so that any
 * replica answers for a run another one holds, and a restart loses nothing that had a pod. The replica running the run
 * marks its pod's end ({@link #ended}, {@link #cancelledHere}); any replica reads it ({@link #find}) or cancels it
 * ({@link #cancel}); the {@link Reaper} deletes it once it has expired.
 *
 * <p>A run is found in the shared informer's cache, at no API cost, and else with one list by its run label: the cache
 * may not hold yet a pod another replica has just made. The state of a run the cache holds may lag its pod by a watch
 * event, as any replica's view of a pod does.
 */
final class KeptPods implements KeptRuns {
    private static final System.Logger LOG = System.getLogger(KeptPods.class.getName());
    private static final String MERGE_PATCH = "application/merge-patch+json";
    /** A live pod's status changes a few times in its life: a cancel that loses to each of them is tried again. */
    private static final int CANCEL_TRIES = 5;

    private final KubernetesClient client;
    private final ApiCalls api;
    private final KubeConfig config;
    private final RunWatcher watcher;
    private final Reaper reaper;
    private final PodResults results;

    KeptPods(KubernetesClient client, ApiCalls api, KubeConfig config, RunWatcher watcher, Reaper reaper,
             PodResults results) {
        this.client = client;
        this.api = api;
        this.config = config;
        this.watcher = watcher;
        this.reaper = reaper;
        this.results = results;
    }

    @Override
    public Optional<KeptRun> find(RunId id, String keyId) throws InterruptedException {
        try {
            Optional<Pod> pod = locate(id, keyId);
            return pod.isEmpty() ? Optional.empty() : Optional.of(state(pod.get(), id));
        } catch (KubernetesClientException e) {
            throw unavailable(e);
        }
    }

    /**
     * Marks the pod cancelled and ends it, unless it has ended already: the patch carries the resourceVersion of the pod
     * seen running, so that the API server refuses it with 409 once anything changed the pod (its end among them), and
     * the pod is read again. A run's end and its cancel are thus ordered alike for every replica, the first one winning.
     */
    @Override
    public Optional<KeptRun> cancel(RunId id, String keyId) throws InterruptedException {
        try {
            Optional<Pod> found = locate(id, keyId);
            for (int tries = 0; found.isPresent() && tries < CANCEL_TRIES; tries++) {
                Pod pod = found.get();
                KeptRun state = state(pod, id);
                if (state.result() != null) {
                    return Optional.of(state);
                }
                Instant now = Instant.now();
                Map<String, Object> patch = KeptAnnotations.cancelPatch(now, KeptAnnotations.ttl(pod).orElseThrow(),
                        pod.getMetadata().getResourceVersion());
                if (patched(pod.getMetadata().getName(), patch, api.callTimeout())) {
                    return Optional.of(new KeptRun(state.runtime(), PodResults.cancelled(id, millisSinceCreation(pod, now))));
                }
                found = fetched(pod.getMetadata().getName()).filter(Labels::kept);
            }
            if (found.isPresent()) {
                throw new BackendUnavailableException("the run's pod changed under each cancel; try again",
                        ApiCalls.RETRY_AFTER, null);
            }
            return Optional.empty();
        } catch (KubernetesClientException e) {
            throw unavailable(e);
        }
    }

    /** The run's end, on the replica that ran it: when its result expires, and the result itself when small. */
    void ended(String podName, RunResult result, Duration ttl, Duration within) throws InterruptedException {
        patched(podName, KeptAnnotations.endPatch(Instant.now(), ttl, StoredResult.of(result)), within);
    }

    /**
     * The run was cancelled on the replica that runs it, which answers that from its memory: the pod is ended and marked
     * so for every other replica. No end can precede it, since the end of a run goes through this replica.
     */
    void cancelledHere(String podName, Duration ttl, Duration within) throws InterruptedException {
        patched(podName, KeptAnnotations.cancelPatch(Instant.now(), ttl, null), within);
    }

    /** The run's kept pod, if it belongs to {@code keyId} and has not expired. */
    private Optional<Pod> locate(RunId id, String keyId) throws InterruptedException {
        Optional<Pod> pod = watcher.cachedPods().stream().filter(cached -> ofRun(cached, id)).findFirst();
        if (pod.isEmpty()) {
            pod = listed(id);
        }
        return pod.filter(kept -> Objects.equals(KeptAnnotations.keyId(kept), keyId))
                .filter(kept -> KeptAnnotations.ttl(kept).isPresent() && shape(kept).isPresent())
                .filter(kept -> !reaper.expired(kept, Instant.now()));
    }

    /** What the pod says of its run: the result kept with it, a cancel, still running, or what its end tells. */
    private KeptRun state(Pod pod, RunId id) throws InterruptedException {
        RunShape shape = shape(pod).orElseThrow();
        Optional<RunResult> stored = KeptAnnotations.result(pod).flatMap(json -> StoredResult.read(json, id,
                KubernetesExecutor.NAME));
        if (stored.isPresent()) {
            return new KeptRun(shape.runtime(), stored.get());
        }
        Optional<Instant> cancelled = KeptAnnotations.cancelled(pod);
        if (cancelled.isPresent()) {
            return new KeptRun(shape.runtime(), PodResults.cancelled(id, millisSinceCreation(pod, cancelled.get())));
        }
        if (!PodState.ended(pod)) {
            return new KeptRun(shape.runtime(), null);
        }
        // the replica running it has not marked its end yet, or never will (it died): the end reads as it would read it
        Instant finished = PodState.terminated(pod).map(t -> t.getFinishedAt()).map(Instant::parse).orElseGet(Instant::now);
        return new KeptRun(shape.runtime(),
                results.of(pod, id, shape, () -> millisSinceCreation(pod, finished), api.callTimeout()));
    }

    private Optional<Pod> listed(RunId id) throws InterruptedException {
        String selector = Labels.COMPONENT + "=" + Labels.SANDBOX + "," + Labels.RUN + "=" + id.value() + ","
                + Labels.KEPT + "=" + Labels.KEPT_VALUE;
        String json = api.get(podsPath() + "?labelSelector=" + URLEncoder.encode(selector, StandardCharsets.UTF_8),
                api.callTimeout());
        PodList list = json == null ? null : client.getKubernetesSerialization().unmarshal(json, PodList.class);
        return list == null ? Optional.empty() : list.getItems().stream().filter(pod -> ofRun(pod, id)).findFirst();
    }

    private Optional<Pod> fetched(String podName) throws InterruptedException {
        String json = api.get(podsPath() + "/" + podName, api.callTimeout());
        return Optional.ofNullable(json == null ? null : client.getKubernetesSerialization().unmarshal(json, Pod.class));
    }

    /** @return false when the pod changed since the resourceVersion the patch carries, or is gone */
    private boolean patched(String podName, Map<String, Object> patch, Duration within) throws InterruptedException {
        try {
            return api.send("PATCH", podsPath() + "/" + podName, MERGE_PATCH, patch, within) != null;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return false;
        }
    }

    private String podsPath() {
        return "/api/v1/namespaces/" + config.namespace() + "/pods";
    }

    private static boolean ofRun(Pod pod, RunId id) {
        return Labels.kept(pod) && id.value().equals(pod.getMetadata().getLabels().get(Labels.RUN))
                && pod.getMetadata().getDeletionTimestamp() == null;
    }

    private static Optional<RunShape> shape(Pod pod) {
        try {
            return Optional.of(RunShape.from(KeptAnnotations.of(pod)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The time of a result the runner did not report, as another replica can tell it: from the pod's creation. */
    private static long millisSinceCreation(Pod pod, Instant until) {
        return Math.max(0, Duration.between(Instant.parse(pod.getMetadata().getCreationTimestamp()), until).toMillis());
    }

    private static BackendUnavailableException unavailable(KubernetesClientException e) {
        LOG.log(ApiCalls.unavailable(e) ? Level.DEBUG : Level.ERROR, "cannot read or cancel a kept sandbox pod (HTTP "
                + e.getCode() + ")", e);
        return new BackendUnavailableException("the Kubernetes API server is unavailable", ApiCalls.RETRY_AFTER, e);
    }
}
