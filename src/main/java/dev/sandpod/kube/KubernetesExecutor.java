package dev.sandpod.kube;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.Envelope;
import dev.sandpod.run.Executor;
import dev.sandpod.run.Limits;
import dev.sandpod.run.OutputFile;
import dev.sandpod.run.OutputLines;
import dev.sandpod.run.OutputSink;
import dev.sandpod.run.PythonRuntime;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Runs each request in a fresh sandbox pod (DESIGN §4) with three API calls: create the pod, read its log once when the
 * shared informer sees it end, delete it with grace 0. With a warm pool (§6), a run that fits a standby pod claims it
 * instead and gets its result over attach: patch, attach, delete.
 *
 * <p>Every run has an executor-side deadline ({@link #deadline}), the startup timeout plus the pod's
 * {@code activeDeadlineSeconds} plus a completion margin, which bounds every wait and every API request of the run, so
 * that no request waits on a pod or on a failing API server past it; only the run's last delete may take
 * {@link #CLEANUP} more, and a delete that fails or does not answer in that time is the {@link Reaper}'s to retry.
 * Failures of the cluster become {@code internal_error} results with our own detail text; only a refusal to start the
 * run (quota, API server unreachable, failing or overloaded) is thrown as {@link BackendUnavailableException}, and
 * while the API server is failing runs are refused at once. Neither ever carries Kubernetes' own messages or objects.
 */
public final class KubernetesExecutor implements Executor {
    public static final String NAME = "kubernetes";
    private static final System.Logger LOG = System.getLogger(KubernetesExecutor.class.getName());
    /** JSON escapes a control character as {@code \u0000}: six bytes of log per byte of output at worst. */
    private static final int JSON_ESCAPE_WORST_CASE = 6;
    private static final int LOG_SLACK_BYTES = 64 * 1024;
    /** A streamed line without its text: {@code SANDPOD-OUTPUT {"stream":"stdout","text":""}} and its newline. */
    private static final int STREAMED_LINE_BYTES = OutputLines.PREFIX.length() + 31;
    /** The most a run's own last delete may add to its deadline before the pod is handed to the reaper. */
    static final Duration CLEANUP = Duration.ofSeconds(1);
    private static final Duration UNREACHABLE_RETRY_AFTER = ApiCalls.RETRY_AFTER;
    /** How long past the pod's own deadline its end event may be late before the run asks the API server once. */
    private static final Duration LATE_END = Duration.ofSeconds(2);

    private final KubernetesClient client;
    private final ApiCalls api;
    private final KubeConfig config;
    private final KubeRuntimes runtimes;
    private final PodSpecs specs;
    private final Uids uids;
    private final RunWatcher watcher;
    private final Reaper reaper;
    private final WarmPool pool;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Starts following sandbox pods through {@code client}, which this executor then owns and closes, and fills the warm
     * pool when {@code pool-size} asks for one.
     *
     * @param defaults the configured default limits, which standby pods are sized for
     */
    public KubernetesExecutor(KubernetesClient client, KubeConfig config, Limits defaults) {
        this(client, config, KubeRuntimes.only(config.image()), defaults);
    }

    /** As {@link #KubernetesExecutor(KubernetesClient, KubeConfig, Limits)}, with named runtimes besides the default. */
    public KubernetesExecutor(KubernetesClient client, KubeConfig config, KubeRuntimes runtimes, Limits defaults) {
        this.client = client;
        this.api = new ApiCalls(client);
        this.config = config;
        this.runtimes = runtimes;
        this.specs = new PodSpecs(config, runtimes);
        this.uids = new Uids(config.uidMin(), config.uidMax(), new SecureRandom().nextLong());
        this.watcher = new RunWatcher(client, config.namespace());
        this.reaper = new Reaper(api, config, watcher);
        this.pool = defaults != null && config.poolSize() > 0
                ? new WarmPool(api, config, specs, uids, watcher, defaults)
                : null;
    }

    @Override
    public RunResult run(RunRequest request, RunId id) throws InterruptedException {
        return run(request, id, OutputSink.NONE);
    }

    /**
     * A warm run streams as its runner prints, over the attach; a cold one's output is in its log, which is read once
     * when the pod has ended, so its chunks all come then, just before the result.
     */
    @Override
    public RunResult run(RunRequest request, RunId id, OutputSink sink) throws InterruptedException {
        refuseWhileUnready();
        boolean stream = sink != OutputSink.NONE;
        long started = System.nanoTime();
        long deadline = started + deadline(request).toNanos();
        if (pool != null && pool.fits(request)) {
            // before the claim: a job too large is refused before any API call
            String job = PodSpecs.jobJson(request, stream);
            Optional<String> standby = pool.claim(request, id, left(deadline));
            Optional<RunResult> warm = standby.isPresent()
                    ? runWarm(standby.get(), job, request, id, sink, started, deadline)
                    : Optional.empty();
            if (warm.isPresent()) {
                return warm.get();
            }
            refuseWhileUnready(); // the claim or the attach may have just found the API server failing
        }
        Pod pod = specs.podFor(request, id, uids.next(), stream);
        String name = pod.getMetadata().getName();
        CompletableFuture<Pod> end = watcher.await(name);
        try {
            create(pod, min(config.startupTimeout(), left(deadline)));
        } catch (KubernetesClientException e) {
            watcher.forget(name);
            return createFailed(e, request, id, name, started);
        }
        try {
            return follow(request, id, name, end, new OutputLines(sink), started, deadline);
        } finally {
            watcher.forget(name);
            delete(name, deadline);
        }
    }

    /**
     * The longest a run may take before its answer, whatever the cluster does: the startup timeout, the pod's
     * {@code activeDeadlineSeconds} and the completion margin. The run's last delete may add {@link #CLEANUP}.
     */
    Duration deadline(RunRequest request) {
        return config.startupTimeout().plusSeconds(PodSpecs.activeDeadlineSeconds(request)).plus(config.completionMargin());
    }

    /**
     * Runs the request in a claimed standby pod, whose runner gets the job over attach and prints the result there. When
     * the stream ends without it, the pod's status and log tell what happened, as for a cold run. Empty when the job could
     * not be delivered: nothing ran, and the run goes cold.
     */
    private Optional<RunResult> runWarm(String name, String job, RunRequest request, RunId id, OutputSink sink,
                                        long started, long deadline) throws InterruptedException {
        CompletableFuture<Pod> end = watcher.await(name);
        OutputLines streamed = new OutputLines(sink);
        Attach attach = Attach.open(client, config.namespace(), name, job, logLimitBytes(request, streamed.streaming()),
                streamed);
        try {
            Duration runs = Duration.ofSeconds(PodSpecs.activeDeadlineSeconds(request)).plus(config.completionMargin());
            Optional<RunResult> result = Envelope.parse(attach.stdout().get(min(runs, left(deadline)).toNanos(),
                    TimeUnit.NANOSECONDS), id, NAME);
            return result.isPresent() ? result : Optional.of(follow(request, id, name, end, streamed, started, deadline));
        } catch (TimeoutException | ExecutionException e) {
            if (!attach.delivered()) {
                LOG.log(Level.WARNING, "cannot attach to standby pod " + name + "; the run goes cold", e);
                return Optional.empty();
            }
            return Optional.of(follow(request, id, name, end, streamed, started, deadline));
        } finally {
            attach.close();
            watcher.forget(name);
            delete(name, deadline);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PythonRuntime> runtimes() {
        return runtimes.listing();
    }

    @Override
    public String unreadyReason() {
        String watch = watcher.unreadyReason();
        return watch != null ? watch : api.unansweredReason();
    }

    /**
     * Ends the runs still waiting with 503, deletes this replica's pods in one call while the watch is still up, then
     * stops the informer and closes the client. Only the first call does anything.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try (client; watcher) {
                if (pool != null) {
                    pool.close();
                }
                watcher.cancelAwaited();
                reaper.close();
            }
        }
    }

    /**
     * The log size that holds any envelope the runner can print: its outputs are capped, JSON may inflate them, and the
     * files of out/ add their base64 (a judged run carries none, but one bound for both keeps this simple).
     */
    static int logLimitBytes(Limits limits, int tests) {
        return logLimitBytes(limits.outputBytes(), tests, limits.outFiles(), limits.outFilesBytes(), false);
    }

    private static int logLimitBytes(RunRequest request, boolean streaming) {
        Limits limits = request.limits();
        return logLimitBytes(limits.outputBytes(), request.tests().size(), limits.outFiles(), limits.outFilesBytes(),
                streaming && !request.judged());
    }

    /**
     * As {@link #logLimitBytes(Limits, int)}; a streaming runner also prints each piece of stdout and stderr on a line of
     * its own before the result, at worst one line per byte it read.
     */
    static int logLimitBytes(long outputBytes, int tests, int outFiles, long outFilesBytes, boolean streamed) {
        long streams = 4 + 2L * tests; // stdout, stderr, and output holding both; two per judged test
        long bytes = streams * outputBytes * JSON_ESCAPE_WORST_CASE + OutputFile.envelopeBytes(outFiles, outFilesBytes)
                + LOG_SLACK_BYTES;
        if (streamed) {
            bytes += 2 * outputBytes * (STREAMED_LINE_BYTES + JSON_ESCAPE_WORST_CASE);
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /**
     * Waits for the pod's end and reads its result from the log; the log's streamed chunks go to {@code streamed}, which
     * passes on only those it has not passed on yet (an attach cut short has streamed the first ones).
     */
    private RunResult follow(RunRequest request, RunId id, String name, CompletableFuture<Pod> end, OutputLines streamed,
                             long started, long deadline) throws InterruptedException {
        long now = System.nanoTime();
        long overdueAt = now + Duration.ofSeconds(PodSpecs.activeDeadlineSeconds(request)).plus(LATE_END).toNanos();
        long startupEnds = Math.min(now + config.startupTimeout().toNanos(), deadline);
        Optional<Pod> ended = awaitEnd(end, name, startupEnds, overdueAt, deadline);
        if (ended.isEmpty()) {
            refuseWhileUnready(); // the informer's view is stale: what the pod did is unknown, not the sandbox's fault
            Optional<Pod> cached = watcher.cached(name);
            if (cached.map(PodState::pending).orElse(true)) {
                LOG.log(Level.WARNING, "sandbox pod {0} still pending after {1}: {2}", name, config.startupTimeout(),
                        cached.map(Pod::getStatus).orElse(null));
                return internalError(id, "the sandbox pod did not start within "
                        + config.startupTimeout().toMillis() + " ms", started);
            }
            ended = awaitEnd(end, name, deadline, overdueAt < startupEnds ? Long.MAX_VALUE : overdueAt, deadline);
            if (ended.isEmpty()) {
                refuseWhileUnready();
                return internalError(id, "the sandbox pod did not report its end in time", started);
            }
        }
        Pod pod = ended.get();
        Optional<String> startFailure = PodState.startFailure(pod);
        if (startFailure.isPresent()) {
            return internalError(id, startFailure.get(), started);
        }
        if (!PodState.finished(pod)) {
            return internalError(id, "the sandbox pod was deleted before it finished", started);
        }
        String log;
        try {
            // one GET: fabric8's getLog() would first list the pod (and may watch it) to wait until it is ready
            log = api.get(logPath(name, logLimitBytes(request, streamed.streaming())), left(deadline));
        } catch (KubernetesClientException e) {
            if (ApiCalls.unavailable(e)) {
                throw apiUnavailable(e);
            }
            LOG.log(Level.WARNING, "cannot read the log of sandbox pod " + name, e);
            return internalError(id, "the sandbox's result could not be read", started);
        }
        Optional<RunResult> result = Envelope.parse(log == null ? "" : log, id, NAME);
        if (result.isPresent()) {
            streamed.replay(log.getBytes(StandardCharsets.UTF_8));
        }
        return result.orElseGet(() -> withoutEnvelope(pod, request, id, started));
    }

    /**
     * Waits for the pod's end event until {@code until}; when none has come by {@code overdueAt}, asks the API server once
     * whether the pod has ended. A watch that was cut resumes from the last resourceVersion it saw, and an API server
     * that does not replay what happened meanwhile (the fabric8 mock) never sends the event of a pod that ended then.
     */
    private Optional<Pod> awaitEnd(CompletableFuture<Pod> end, String name, long until, long overdueAt, long deadline)
            throws InterruptedException {
        if (overdueAt < until) {
            Optional<Pod> ended = within(end, left(overdueAt));
            if (ended.isPresent()) {
                return ended;
            }
            ended = endedNow(name, deadline);
            if (ended.isPresent()) {
                return ended;
            }
        }
        return within(end, left(until));
    }

    /** The pod as the API server has it now, if its run is over. */
    private Optional<Pod> endedNow(String name, long deadline) throws InterruptedException {
        try {
            String json = api.get("/api/v1/namespaces/" + config.namespace() + "/pods/" + name, left(deadline));
            Pod pod = json == null ? null : client.getKubernetesSerialization().unmarshal(json, Pod.class);
            return pod != null && PodState.ended(pod) ? Optional.of(pod) : Optional.empty();
        } catch (KubernetesClientException e) {
            return Optional.empty(); // the API server is failing: the run's wait ends in 503 at the latest at its deadline
        }
    }

    /** The pod ended and the runner printed no result: the node stopped it (limits) or the sandbox broke. */
    private RunResult withoutEnvelope(Pod pod, RunRequest request, RunId id, long started) {
        if (PodState.oomKilled(pod)) {
            return limitHit(Status.MEMORY_LIMIT, "the sandbox ran out of memory", request, id, started);
        }
        if (PodState.deadlineExceeded(pod)) {
            if (PodState.containerStarted(pod)) {
                return limitHit(Status.TIMEOUT, "the sandbox reached its deadline of "
                        + PodSpecs.activeDeadlineSeconds(request) + " s", request, id, started);
            }
            // kubelets keep a pod in ContainerCreating through a slow pull and while a volume cannot mount: the
            // runner's ConfigMap is the one volume that is not the pod's own, so it is the first thing to check
            LOG.log(Level.WARNING, "sandbox pod {0} reached its deadline before its container started: check the image"
                    + " pull and that ConfigMap {1}/{2} exists (kubectl describe pod shows FailedMount)",
                    pod.getMetadata().getName(), config.namespace(), config.runnerConfigMap());
            return internalError(id, "the sandbox pod reached its deadline before its container started", started);
        }
        String exitCode = PodState.terminated(pod).map(t -> " (exit code " + t.getExitCode() + ")").orElse("");
        return internalError(id, "the sandbox ended without a result" + exitCode, started);
    }

    /**
     * Creates the pod in one call. The client retries a request that timed out or met a 5xx, and when the first attempt
     * had in fact succeeded the retry meets 409 AlreadyExists; the name holds a random run id, so that pod is ours.
     */
    private void create(Pod pod, Duration within) throws InterruptedException {
        try {
            SandboxPods.create(api, pod, within);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    private RunResult createFailed(KubernetesClientException e, RunRequest request, RunId id, String name, long started) {
        int code = e.getCode();
        if (code == 403 && mentions(e, "exceeded quota")) {
            throw new BackendUnavailableException("the sandbox quota is exhausted; try again shortly",
                    Duration.ofSeconds(PodSpecs.activeDeadlineSeconds(request)), e);
        }
        if (code == 429) {
            throw apiUnavailable(e);
        }
        if (ApiCalls.unavailable(e)) {
            reaper.deleteLater(name); // the request may have reached the API server before it failed
            throw apiUnavailable(e);
        }
        // RBAC or Pod Security admission (403), an invalid spec (422): retrying will not help, and
        // the operator has to act, so the run fails as the sandbox's fault and the cause goes to the log
        LOG.log(Level.ERROR, "the API server refused a sandbox pod with HTTP " + code, e);
        return internalError(id, "the cluster refused the sandbox pod (HTTP " + code + ")", started);
    }

    /**
     * Deletes the run's pod within what is left of its deadline, and at least {@link #CLEANUP}; or hands it to the reaper
     * at once while the API server is failing, or when this try fails: a failed delete must never replace the run's
     * answer, nor hold it past its deadline.
     */
    private void delete(String name, long deadline) {
        if (api.unansweredReason() != null) {
            reaper.deleteLater(name);
            return;
        }
        boolean interrupted = Thread.interrupted(); // an interrupted run must still remove its pod
        try {
            Duration left = left(deadline);
            SandboxPods.delete(api, config.namespace(), name, left.compareTo(CLEANUP) > 0 ? left : CLEANUP);
        } catch (KubernetesClientException | IllegalStateException e) { // IllegalStateException: closed under us
            LOG.log(Level.WARNING, "cannot delete sandbox pod " + name + " now; the reaper retries", e);
            reaper.deleteLater(name);
        } catch (InterruptedException e) {
            reaper.deleteLater(name);
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void refuseWhileUnready() {
        if (unreadyReason() != null) {
            throw new BackendUnavailableException("the Kubernetes backend is not ready", UNREACHABLE_RETRY_AFTER, null);
        }
    }

    private String logPath(String podName, int limitBytes) {
        return "/api/v1/namespaces/" + config.namespace() + "/pods/" + podName + "/log?container=" + PodSpecs.CONTAINER
                + "&limitBytes=" + limitBytes;
    }

    private static Optional<Pod> within(CompletableFuture<Pod> end, Duration timeout) throws InterruptedException {
        try {
            return Optional.of(end.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (CancellationException | ExecutionException e) {
            throw new BackendUnavailableException("the Kubernetes backend is shutting down", UNREACHABLE_RETRY_AFTER, e);
        }
    }

    private static BackendUnavailableException apiUnavailable(KubernetesClientException cause) {
        return new BackendUnavailableException("the Kubernetes API server is unavailable", UNREACHABLE_RETRY_AFTER, cause);
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static boolean mentions(KubernetesClientException e, String text) {
        String statusMessage = e.getStatus() == null ? null : e.getStatus().getMessage();
        return (statusMessage != null && statusMessage.contains(text)) || String.valueOf(e.getMessage()).contains(text);
    }

    private static RunResult limitHit(Status status, String detail, RunRequest request, RunId id, long started) {
        return new RunResult(id.value(), status, null, "SIGKILL", "", "", "", false, elapsedMs(started), 0, 0, NAME, detail,
                List.of(), request.judged() ? status.wireName() : null, List.of(), false);
    }

    private static RunResult internalError(RunId id, String detail, long started) {
        return RunResult.internalError(id, NAME, detail, elapsedMs(started));
    }

    private static long elapsedMs(long started) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }
}
