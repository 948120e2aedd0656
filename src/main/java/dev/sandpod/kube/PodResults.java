package dev.sandpod.kube;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

import dev.sandpod.run.Envelope;
import dev.sandpod.run.OutputLines;
import dev.sandpod.run.OutputSink;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * The result of a sandbox pod whose run is over, read from its log once (the runner's envelope) or, without one, from
 * what its status says: the replica running the run and any replica reading a kept pod afterwards read it the same way.
 * The log of a terminated pod stays readable until the pod is deleted.
 */
final class PodResults {
    private static final System.Logger LOG = System.getLogger(PodResults.class.getName());
    static final String CANCELLED = "cancelled";

    private final ApiCalls api;
    private final KubeConfig config;

    PodResults(ApiCalls api, KubeConfig config) {
        this.api = api;
        this.config = config;
    }

    /**
     * The result of {@code pod}, which has ended ({@link PodState#ended}); {@code elapsedMs} gives the time of a result
     * the runner did not report.
     *
     * @throws KubernetesClientException only when the API server is unavailable ({@link ApiCalls#unavailable}); any other
     *                                   failure to read the log is the sandbox's, an internal error
     */
    RunResult of(Pod pod, RunId id, RunShape shape, LongSupplier elapsedMs, Duration within) throws InterruptedException {
        return of(pod, id, shape, elapsedMs, within, new OutputLines(OutputSink.NONE));
    }

    /** As {@link #of(Pod, RunId, RunShape, LongSupplier, Duration)}; the log's streamed chunks go to {@code streamed}. */
    RunResult of(Pod pod, RunId id, RunShape shape, LongSupplier elapsedMs, Duration within, OutputLines streamed)
            throws InterruptedException {
        if (KeptAnnotations.cancelled(pod).isPresent()) {
            return cancelled(id, elapsedMs.getAsLong()); // the cancel came first: what the killed runner printed is late
        }
        Optional<String> startFailure = PodState.startFailure(pod);
        if (startFailure.isPresent()) {
            return internalError(id, startFailure.get(), elapsedMs);
        }
        if (!PodState.finished(pod)) {
            return internalError(id, "the sandbox pod was deleted before it finished", elapsedMs);
        }
        String name = pod.getMetadata().getName();
        String log;
        try {
            // one GET: fabric8's getLog() would first list the pod (and may watch it) to wait until it is ready
            log = api.get(logPath(name, shape.logBytes()), within);
        } catch (KubernetesClientException e) {
            if (ApiCalls.unavailable(e)) {
                throw e;
            }
            LOG.log(Level.WARNING, "cannot read the log of sandbox pod " + name, e);
            return internalError(id, "the sandbox's result could not be read", elapsedMs);
        }
        Optional<RunResult> result = Envelope.parse(log == null ? "" : log, id, KubernetesExecutor.NAME);
        if (result.isPresent()) {
            streamed.replay(log.getBytes(StandardCharsets.UTF_8));
        }
        return result.orElseGet(() -> withoutEnvelope(pod, shape, id, elapsedMs));
    }

    /** The end of a run cancelled before it ended: killed, "cancelled", as the memory of a replica holds it. */
    static RunResult cancelled(RunId id, long elapsedMs) {
        return RunResult.killed(id, KubernetesExecutor.NAME, CANCELLED, elapsedMs);
    }

    static RunResult internalError(RunId id, String detail, LongSupplier elapsedMs) {
        return RunResult.internalError(id, KubernetesExecutor.NAME, detail, elapsedMs.getAsLong());
    }

    /** The pod ended and the runner printed no result: the node stopped it (limits) or the sandbox broke. */
    private RunResult withoutEnvelope(Pod pod, RunShape shape, RunId id, LongSupplier elapsedMs) {
        if (PodState.oomKilled(pod)) {
            return limitHit(Status.MEMORY_LIMIT, "the sandbox ran out of memory", shape, id, elapsedMs);
        }
        if (PodState.deadlineExceeded(pod)) {
            if (PodState.containerStarted(pod)) {
                return limitHit(Status.TIMEOUT, "the sandbox reached its deadline of " + shape.deadlineSeconds() + " s",
                        shape, id, elapsedMs);
            }
            // kubelets keep a pod in ContainerCreating through a slow pull and while a volume cannot mount: the
            // runner's ConfigMap is the one volume that is not the pod's own, so it is the first thing to check
            LOG.log(Level.WARNING, "sandbox pod {0} reached its deadline before its container started: check the image"
                    + " pull and that ConfigMap {1}/{2} exists (kubectl describe pod shows FailedMount)",
                    pod.getMetadata().getName(), config.namespace(), config.runnerConfigMap());
            return internalError(id, "the sandbox pod reached its deadline before its container started", elapsedMs);
        }
        String exitCode = PodState.terminated(pod).map(t -> " (exit code " + t.getExitCode() + ")").orElse("");
        return internalError(id, "the sandbox ended without a result" + exitCode, elapsedMs);
    }

    private String logPath(String podName, int limitBytes) {
        return "/api/v1/namespaces/" + config.namespace() + "/pods/" + podName + "/log?container=" + PodSpecs.CONTAINER
                + "&limitBytes=" + limitBytes;
    }

    private static RunResult limitHit(Status status, String detail, RunShape shape, RunId id, LongSupplier elapsedMs) {
        return new RunResult(id.value(), status, null, "SIGKILL", "", "", "", false, elapsedMs.getAsLong(), 0, 0,
                KubernetesExecutor.NAME, detail, List.of(), shape.judged() ? status.wireName() : null, List.of(), false);
    }
}
