package dev.sandpod.kube;

import java.lang.System.Logger.Level;
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
import dev.sandpod.run.Kept;
import dev.sandpod.run.KeptRuns;
import dev.sandpod.run.Limits;
import dev.sandpod.run.OutputFile;
import dev.sandpod.run.OutputLines;
import dev.sandpod.run.OutputSink;
import dev.sandpod.run.PythonRuntime;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Runs each request in a fresh sandbox pod (DESIGN §4) with three API calls: create the pod, read its log once when the
 * shared informer sees it end, delete it with grace 0. With a warm pool (§6), a run that fits a standby pod claims it
 * instead and gets its result over attach: patch, attach, delete. The pod of an asynchronous run ({@link RunRequest#kept})
 * is kept instead of deleted, its end marked on it, so that any replica can answer for the run ({@link KeptPods}).
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
    private final PodResults results;
    private final KeptPods kept;
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
        this.results = new PodResults(api, config);
        this.kept = new KeptPods(client, api, config, watcher, reaper, results);
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
        RunResult result = null;
        boolean interrupted = false;
        try {
            result = follow(request, id, name, end, new OutputLines(sink), started, deadline);
            return result;
        } catch (InterruptedException e) {
            interrupted = true;
            throw e;
        } finally {
            watcher.forget(name);
            release(name, request, result, interrupted, deadline);
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
        Optional<RunResult> result = Optional.empty();
        boolean interrupted = false;
        try {
            Duration runs = Duration.ofSeconds(PodSpecs.activeDeadlineSeconds(request)).plus(config.completionMargin());
            result = Envelope.parse(attach.stdout().get(min(runs, left(deadline)).toNanos(), TimeUnit.NANOSECONDS), id, NAME);
            if (result.isEmpty()) {
                result = Optional.of(follow(request, id, name, end, streamed, started, deadline));
            }
            return result;
        } catch (TimeoutException | ExecutionException e) {
            if (!attach.delivered()) {
                LOG.log(Level.WARNING, "cannot attach to standby pod " + name + "; the run goes cold", e);
                return Optional.empty();
            }
            result = Optional.of(follow(request, id, name, end, streamed, started, deadline));
            return result;
        } catch (InterruptedException e) {
            interrupted = true;
            throw e;
        } finally {
            attach.close();
            watcher.forget(name);
            release(name, request, result.orElse(null), interrupted, deadline);
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

    /** The asynchronous runs whose pods this backend keeps, in this replica's namespace. */
    @Override
    public KeptRuns keptRuns() {
        return kept;
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

    static int logLimitBytes(RunRequest request, boolean streaming) {
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
        try {
            return results.of(ended.get(), id, RunShape.of(request, streamed.streaming()), () -> elapsedMs(started),
                    left(deadline), streamed);
        } catch (KubernetesClientException e) {
            throw apiUnavailable(e);
        }
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
     * Ends the pod's part in the run: a blocking run's pod is deleted at once. An asynchronous run's is kept for its TTL
     * ({@link KeptPods}) with its end marked, or as cancelled when the run was interrupted, which only its cancel does; it
     * is deleted all the same when the run failed without a result, which this replica alone answers, unless the
     * service is closing: then it runs on to its end for other replicas to read. A mark that fails leaves the pod to the
     * reaper, which deletes it at the latest at its deadline plus the TTL.
     *
     * @param interruptedBy whether the run ended in an {@link InterruptedException}, which clears the thread's flag
     */
    private void release(String name, RunRequest request, RunResult result, boolean interruptedBy, long deadline) {
        Kept keep = request.kept();
        boolean interrupted = Thread.interrupted(); // the mark must still be made; the flag is restored after it
        boolean cancelled = interruptedBy || interrupted;
        if (keep == null || (result == null && !cancelled && !closed.get())) {
            restoreInterrupt(interrupted);
            delete(name, deadline);
            return;
        }
        if (result == null && !cancelled) {
            return;
        }
        try {
            Duration left = left(deadline);
            Duration within = left.compareTo(CLEANUP) > 0 ? left : CLEANUP;
            if (cancelled) {
                kept.cancelledHere(name, keep.ttl(), within);
            } else {
                kept.ended(name, result, keep.ttl(), within);
            }
        } catch (KubernetesClientException | IllegalStateException e) { // IllegalStateException: closed under us
            LOG.log(Level.WARNING, "cannot mark the end of kept sandbox pod " + name + "; the reaper deletes it later", e);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    private static void restoreInterrupt(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
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
            restoreInterrupt(interrupted);
        }
    }

    private void refuseWhileUnready() {
        if (unreadyReason() != null) {
            throw new BackendUnavailableException("the Kubernetes backend is not ready", UNREACHABLE_RETRY_AFTER, null);
        }
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

    private static RunResult internalError(RunId id, String detail, long started) {
        return RunResult.internalError(id, NAME, detail, elapsedMs(started));
    }

    private static long elapsedMs(long started) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }
}
