package dev.sandpod.local;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.BundledRunner;
import dev.sandpod.run.Envelope;
import dev.sandpod.run.Executor;
import dev.sandpod.run.JobCodec;
import dev.sandpod.run.Limits;
import dev.sandpod.run.OutputSink;
import dev.sandpod.run.PythonRuntime;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

/**
 * The local backend (DESIGN §5): every run in a fresh bubblewrap jail with its own cgroup, taken warm from the
 * {@link LocalPool} when one fits, else started cold with its job waiting in a file of the service.
 *
 * <p>The runner inside enforces the run's limits and reports; this class only guards it: a deadline of the run's
 * time limit plus a margin kills a jail whose runner hangs, and a jail that ends without an envelope is reported
 * from what the host can see (the cgroup's OOM counter, the deadline), else as {@code internal_error}. When
 * {@link #run} returns, the jail's processes, cgroup and job directory are gone.
 *
 * <p>If the host lacks anything a jail needs, {@link #create} says what in {@link #unreadyReason} and every run is
 * refused: code never runs unjailed. {@link #close} kills every jail, those of runs in flight included, and such a run
 * is refused as if it had never started (503), since the program did nothing to deserve a result.
 */
public final class LocalExecutor implements Executor {
    public static final String NAME = "local";
    private static final System.Logger LOG = System.getLogger(LocalExecutor.class.getName());
    private static final Duration RETRY_AFTER = Duration.ofSeconds(30);
    /** A run cut off by the service's stop is retried on another replica, which is up already. */
    private static final Duration RETRY_AFTER_STOP = Duration.ofSeconds(1);
    private static final String TRIAL_OUTPUT = "sandpod-ok";

    private final Jails jails;
    private final LocalPool pool;
    private final LocalRuntimes runtimes;
    private final RuntimeProbe listing;
    private final String unreadyReason;

    private LocalExecutor(Jails jails, LocalPool pool, LocalRuntimes runtimes, RuntimeProbe listing,
                          String unreadyReason) {
        this.jails = jails;
        this.pool = pool;
        this.runtimes = runtimes;
        this.listing = listing;
        this.unreadyReason = unreadyReason;
    }

    /**
     * Checks the host, runs one trial job through a real jail, and starts the pool.
     *
     * @param defaults the limits pooled jails are started with (the configured defaults)
     */
    public static LocalExecutor create(LocalConfig config, Limits defaults) {
        return create(config, LocalRuntimes.only(config.python()), defaults);
    }

    /** As {@link #create(LocalConfig, Limits)}, with named runtimes besides the default. */
    public static LocalExecutor create(LocalConfig config, LocalRuntimes runtimes, Limits defaults) {
        byte[] runner;
        try {
            runner = BundledRunner.read();
        } catch (IOException e) {
            return unavailable(runtimes, e.getMessage());
        }
        return create(config, runtimes, defaults, runner);
    }

    /** As {@link #create(LocalConfig, Limits)}, with another runner (tests use one that misbehaves on purpose). */
    static LocalExecutor create(LocalConfig config, Limits defaults, byte[] runner) {
        return create(config, LocalRuntimes.only(config.python()), defaults, runner);
    }

    private static LocalExecutor create(LocalConfig config, LocalRuntimes runtimes, Limits defaults, byte[] runner) {
        String reason = LocalPreflight.hostReason(config);
        if (reason == null) {
            reason = runtimes.hostReason();
        }
        Jails jails = null;
        if (reason == null) {
            try {
                jails = Jails.open(config, runner);
                reason = trial(jails, defaults);
            } catch (IOException e) {
                reason = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reason = "interrupted during start-up";
            }
        }
        if (reason != null) {
            if (jails != null) {
                jails.close();
            }
            return unavailable(runtimes, reason);
        }
        LocalPool pool = new LocalPool(jails, defaults, config.poolSize());
        pool.fill();
        return new LocalExecutor(jails, pool, runtimes, RuntimeProbe.of(runtimes), null);
    }

    private static LocalExecutor unavailable(LocalRuntimes runtimes, String reason) {
        LOG.log(System.Logger.Level.ERROR, "local backend unavailable: {0}", reason);
        return new LocalExecutor(null, null, runtimes, RuntimeProbe.names(runtimes), reason);
    }

    /** Runs a hello-world job through the cold path; the reason it failed, or null. */
    private static String trial(Jails jails, Limits defaults) throws IOException, InterruptedException {
        RunRequest hello = RunRequest.of("print('" + TRIAL_OUTPUT + "')", "", defaults);
        Jail jail = jails.startCold(defaults, JobCodec.encode(hello));
        Attempt attempt = attempt(jails, jail, null, hello, RunId.random(), System.nanoTime());
        RunResult result = attempt.result();
        if (result.status() == Status.OK && result.stdout().equals(TRIAL_OUTPUT + "\n")) {
            return null;
        }
        String diagnostics = attempt.stderr().isBlank() ? result.detail()
                : attempt.stderr().strip().lines().findFirst().orElse("");
        return "a trial run in a jail failed with " + result.status().wireName()
                + (diagnostics == null ? "" : ": " + diagnostics);
    }

    @Override
    public RunResult run(RunRequest request, RunId id) throws InterruptedException {
        return run(request, id, OutputSink.NONE);
    }

    @Override
    public RunResult run(RunRequest request, RunId id, OutputSink sink) throws InterruptedException {
        if (unreadyReason != null) {
            throw new BackendUnavailableException("the local sandbox is unavailable", RETRY_AFTER, null);
        }
        if (jails.closed()) {
            throw stopped(null);
        }
        long start = System.nanoTime();
        byte[] job = JobCodec.encode(request, sink != OutputSink.NONE);
        // the pool's jails run the default runtime; any other starts cold with its own interpreter
        boolean pooled = request.runtime().equals(PythonRuntime.DEFAULT);
        Jail warm = pooled ? pool.claim(request.limits()) : null;
        try {
            if (warm != null) {
                try {
                    warm.stream(sink);
                    return attempt(jails, warm, job, request, id, start).result();
                } catch (IOException deadRunner) {
                    // the job never reached a runner, so nothing ran: take the cold path instead
                    LOG.log(System.Logger.Level.WARNING, "pooled jail " + warm.name() + " refused its job", deadRunner);
                }
            }
            try {
                Jail cold = jails.startCold(request.limits(), job, runtimes.python(request.runtime()));
                cold.stream(sink);
                return attempt(jails, cold, null, request, id, start).result();
            } catch (IOException e) {
                if (jails.closed()) {
                    throw stopped(e);
                }
                LOG.log(System.Logger.Level.ERROR, "run " + id + ": cannot start a jail", e);
                return RunResult.internalError(id, NAME, "the sandbox could not be started", elapsedMs(start));
            }
        } finally {
            pool.fill();
        }
    }

    /** What one jail produced, with its diagnostics for the log (never for clients: they name host paths). */
    private record Attempt(RunResult result, String stderr) {
    }

    /**
     * Gives the jail its job ({@code job} for the stdin pipe, or null for a cold jail, whose stdin is its job file),
     * waits for the runner within the deadline, tears the jail down and reads its result. Throws IOException when the
     * job could not be written, and {@link BackendUnavailableException} when the service killed the jail as it stopped.
     */
    private static Attempt attempt(Jails jails, Jail jail, byte[] job, RunRequest request, RunId id, long start)
            throws IOException, InterruptedException {
        try {
            if (job == null) {
                jail.closeStdin();
            } else {
                jail.send(job);
            }
            boolean exited = jail.awaitExit(deadline(jails.config(), request));
            Evidence evidence = Evidence.of(jail.cgroup());
            jail.close();
            Optional<RunResult> reported = Envelope.parse(jail.stdout(), id, NAME);
            if (reported.isPresent()) {
                return new Attempt(reported.get(), jail.stderr());
            }
            if (jails.closed()) {
                throw stopped(null); // the service killed the jail: the program did nothing wrong
            }
            long timeMs = elapsedMs(start);
            RunResult result;
            if (evidence.oomKills() > 0) {
                result = synthesized(request, id, Status.MEMORY_LIMIT, "SIGKILL", "the sandbox ran out of memory",
                        timeMs, evidence);
            } else if (!exited) {
                result = synthesized(request, id, Status.TIMEOUT, "SIGKILL",
                        "the sandbox did not finish within its deadline", timeMs, evidence);
            } else {
                LOG.log(System.Logger.Level.ERROR, "run {0}: jail {1} exited {2} without a result; stderr: {3}", id,
                        jail.name(), jail.exitValue(), jail.stderr());
                result = synthesized(request, id, Status.INTERNAL_ERROR, null, "the sandbox ended without a result",
                        timeMs, evidence);
            }
            return new Attempt(result, jail.stderr());
        } finally {
            jail.close();
        }
    }

    /** The service stopped under the run; nothing it did is lost by running it again elsewhere. */
    private static BackendUnavailableException stopped(Throwable cause) {
        return new BackendUnavailableException("the service stopped before the run finished", RETRY_AFTER_STOP, cause);
    }

    /** The run's own time limit, once per judge-mode test plus the main run, and the configured margin. */
    private static Duration deadline(LocalConfig config, RunRequest request) {
        return Duration.ofMillis((long) request.limits().timeMs() * (1 + request.tests().size()))
                .plus(config.deadlineMargin());
    }

    private static RunResult synthesized(RunRequest request, RunId id, Status status, String signal, String detail,
                                         long timeMs, Evidence evidence) {
        return new RunResult(id.value(), status, null, signal, "", "", "", false, timeMs, evidence.cpuMs(),
                evidence.peakMemoryKb(), NAME, detail, List.of(), request.judged() ? status.wireName() : null, List.of(), false);
    }

    /** What the cgroup saw, read before it is removed; zeros where a counter could not be read. */
    private record Evidence(long oomKills, long peakMemoryKb, long cpuMs) {
        static Evidence of(RunCgroup cgroup) {
            try {
                return new Evidence(cgroup.oomKills(), cgroup.peakMemoryKb(), cgroup.cpuMs());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot read a jail's cgroup counters", e);
                return new Evidence(0, 0, 0);
            }
        }
    }

    private static long elapsedMs(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PythonRuntime> runtimes() {
        return listing.await();
    }

    @Override
    public List<String> runtimeNames() {
        return List.copyOf(runtimes.interpreters().keySet());
    }

    @Override
    public String unreadyReason() {
        return unreadyReason;
    }

    /** Jails waiting in the pool. */
    int pooledJails() {
        return pool == null ? 0 : pool.idleCount();
    }

    @Override
    public void close() {
        listing.stop();
        if (pool != null) {
            pool.close();
        }
        if (jails != null) {
            jails.close();
        }
    }
}
