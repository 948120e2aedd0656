package dev.sandpod.kube;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.sandpod.run.Limits;
import dev.sandpod.run.PythonRuntime;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Keeps {@code pool-size} standby pods of this replica whose runners wait for a job on stdin (DESIGN §6), and hands one
 * to a run. Each pod still serves a single run; the pool only starts it before it is needed.
 *
 * <p>A claim is one JSON merge patch carrying the resourceVersion the informer last saw, so the API server refuses it
 * with 409 if anything changed the pod since, and two runs never get the same pod. The same patch relabels the pod with
 * the run, marks it kept for an asynchronous run as a cold run's pod is ({@link KeptPods}), and lowers
 * {@code activeDeadlineSeconds}, which counts from the pod's start, to the time it has already been up plus the run's
 * own deadline: Kubernetes only lets the field go down.
 */
final class WarmPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WarmPool.class.getName());
    private static final Duration REFILL_INTERVAL = Duration.ofSeconds(5);
    private static final String MERGE_PATCH = "application/merge-patch+json";

    private final ApiCalls api;
    private final KubeConfig config;
    private final PodSpecs specs;
    private final Uids uids;
    private final RunWatcher watcher;
    private final Limits shape;
    private final ScheduledExecutorService refiller;
    /** Standby pods created but not yet in the informer's cache, so that a refill does not count them twice. */
    private final ConcurrentMap<String, Instant> creating = new ConcurrentHashMap<>();

    /** @param shape the limits standby pods are sized for (memory, /tmp): the configured defaults */
    WarmPool(ApiCalls api, KubeConfig config, PodSpecs specs, Uids uids, RunWatcher watcher, Limits shape) {
        this.api = api;
        this.config = config;
        this.specs = specs;
        this.uids = uids;
        this.watcher = watcher;
        this.shape = shape;
        this.refiller = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sandpod-warm-pool").daemon().factory());
        long interval = REFILL_INTERVAL.toMillis();
        refiller.scheduleWithFixedDelay(this::refillQuietly, interval, interval, TimeUnit.MILLISECONDS);
        watcher.firstSync().thenRunAsync(this::refillQuietly, refiller);
    }

    /**
     * A standby pod can serve the run when the run is of the default runtime, whose image every standby pod runs, and it
     * was sized for the run's memory and file limits.
     */
    boolean fits(RunRequest request) {
        return request.runtime().equals(PythonRuntime.DEFAULT)
                && request.limits().memoryMb() == shape.memoryMb() && request.limits().fileBytes() == shape.fileBytes();
    }

    /**
     * Claims a running standby pod for the run: its name, or empty when none could be had. It gives up at the first claim
     * the API server does not answer within {@code within}, or answers with a failure of its own.
     */
    Optional<String> claim(RunRequest request, RunId id, Duration within) throws InterruptedException {
        Instant now = Instant.now();
        long runSeconds = PodSpecs.activeDeadlineSeconds(request);
        try {
            for (Pod pod : watcher.cachedPods()) {
                if (!ready(pod)) {
                    continue;
                }
                long deadline = upSeconds(pod, now) + runSeconds;
                if (deadline < pod.getSpec().getActiveDeadlineSeconds() && won(pod, request, id, deadline, within)) {
                    return Optional.of(pod.getMetadata().getName());
                }
            }
            return Optional.empty();
        } catch (KubernetesClientException e) {
            LOG.log(Level.WARNING, "cannot claim a standby pod (HTTP " + e.getCode() + "); the run goes cold", e);
            return Optional.empty();
        } finally {
            refillSoon();
        }
    }

    /**
     * Deletes this replica's standby pods that ended or cannot start, and creates as many as the pool is short of. Runs
     * on the pool's own thread only.
     */
    void refill() throws InterruptedException {
        if (!watcher.synced()) {
            return;
        }
        int alive = 0;
        for (Pod pod : watcher.cachedPods()) {
            if (standbyOfThisReplica(pod)) {
                creating.remove(pod.getMetadata().getName());
                if (PodState.ended(pod)) {
                    SandboxPods.delete(api, config.namespace(), pod.getMetadata().getName(), api.callTimeout());
                } else {
                    alive++;
                }
            }
        }
        Instant givenUp = Instant.now().minus(config.startupTimeout());
        creating.values().removeIf(created -> created.isBefore(givenUp));
        for (int missing = config.poolSize() - alive - creating.size(); missing > 0; missing--) {
            Pod standby = specs.standbyFor(shape, RunId.random(), uids.next());
            creating.put(standby.getMetadata().getName(), Instant.now());
            SandboxPods.create(api, standby, api.callTimeout());
        }
    }

    @Override
    public void close() {
        refiller.shutdownNow();
    }

    private boolean ready(Pod pod) {
        return standbyOfThisReplica(pod)
                && pod.getMetadata().getDeletionTimestamp() == null
                && pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase())
                && pod.getStatus().getStartTime() != null
                && PodState.containerStarted(pod)
                && !PodState.finished(pod);
    }

    private boolean standbyOfThisReplica(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return Labels.STANDBY.equals(labels.get(Labels.STATE)) && config.replica().equals(labels.get(Labels.REPLICA));
    }

    /** Whole seconds since the pod's start, rounded up: the deadline given is never shorter than meant. */
    private static long upSeconds(Pod pod, Instant now) {
        long millis = Duration.between(Instant.parse(pod.getStatus().getStartTime()), now).toMillis();
        return Math.max(0, (millis + 999) / 1000);
    }

    /**
     * The claim patch; false when another run won the pod or it changed or went since the informer saw it.
     *
     * @throws KubernetesClientException when the API server failed or refused the claim for any other reason
     */
    private boolean won(Pod pod, RunRequest request, RunId id, long deadline, Duration within) throws InterruptedException {
        Map<String, Object> metadata = new HashMap<>();
        metadata.put("resourceVersion", pod.getMetadata().getResourceVersion());
        Map<String, String> labels = new HashMap<>(Map.of(Labels.STATE, Labels.CLAIMED, Labels.RUN, id.value()));
        if (request.kept() != null) { // an asynchronous run's pod is kept as a cold one is (PodSpecs.podFor)
            labels.put(Labels.KEPT, Labels.KEPT_VALUE);
            metadata.put("annotations", KeptAnnotations.atStart(request));
        }
        metadata.put("labels", labels);
        Map<String, Object> patch = Map.of("metadata", metadata, "spec", Map.of("activeDeadlineSeconds", deadline));
        try {
            // a 404 answers null: the pod went since the informer saw it
            return api.send("PATCH", "/api/v1/namespaces/" + config.namespace() + "/pods/" + pod.getMetadata().getName(),
                    MERGE_PATCH, patch, within) != null;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return false;
        }
    }

    private void refillSoon() {
        try {
            refiller.execute(this::refillQuietly);
        } catch (RejectedExecutionException closed) {
            // the pool is closing
        }
    }

    private void refillQuietly() {
        try {
            refill();
        } catch (RuntimeException e) { // an escaping exception would cancel every later refill
            LOG.log(Level.WARNING, "warm pool refill failed; next try in " + REFILL_INTERVAL, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
