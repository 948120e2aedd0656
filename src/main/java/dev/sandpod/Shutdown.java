package dev.sandpod;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.api.Drain;
import dev.sandpod.config.InvalidConfigException;
import dev.sandpod.run.Executor;

import sun.misc.Signal;

/**
 * Stops the replica without dropping what it has taken, on SIGTERM (Kubernetes, after the pod's preStop) or SIGINT
 * (Ctrl-C): readiness goes DOWN and new runs get 503 at once, the runs in flight get up to {@code drain-timeout-ms} to
 * finish, then the backend kills what is left and removes every sandbox of this replica, the server stops, and the
 * process exits 0. A second signal skips the rest of the wait for runs; a watchdog halts the process with status 1 if
 * the whole shutdown outlives {@code drain-timeout-ms + teardown-timeout-ms}, so that nothing can hang it.
 *
 * <p>Why a signal handler and not a shutdown hook: the JVM answers SIGTERM by running every shutdown hook at once and
 * then exiting with status 143, whatever the hooks do. Helidon registers one (on by default, {@code server.shutdown-hook})
 * that closes the listener straight away, so readiness could not answer DOWN, and the runs in flight would get the
 * server's grace period instead of their deadline. {@link Signal} (module jdk.unsupported, kept for this use) replaces
 * the JVM's action for TERM and INT: the drain runs first, with the server still listening, and {@code System.exit(0)}
 * then runs the hooks over a replica that is already stopped ({@link WebServer#stop} removes Helidon's). Exits by any
 * other way (SIGHUP, an exit elsewhere) still run the hooks, {@link Main}'s among them, which close the backend. A signal
 * the process was started with ignored (SIGINT in a shell's background job, nohup) stays ignored, as the JVM itself does.
 */
public final class Shutdown {
    private static final System.Logger LOG = System.getLogger(Shutdown.class.getName());
    /** How long runs cut off by the teardown get to send their answer before the server stops. */
    private static final Duration ANSWERS = Duration.ofSeconds(5);

    private final Drain drain;
    private final WebServer server;
    private final Executor executor;
    private final Budget budget;
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final AtomicBoolean ran = new AtomicBoolean();

    /**
     * How long a shutdown may take.
     *
     * @param drain    how long the runs in flight may take to finish before their sandboxes are killed
     * @param teardown then how long killing the rest, removing the sandboxes and stopping the server may take
     */
    public record Budget(Duration drain, Duration teardown) {
        /** Reads {@code sandpod.shutdown}; the teardown must leave the server its own grace period. */
        public static Budget from(Config config) {
            Config shutdown = config.get("sandpod.shutdown");
            Duration drain = Duration.ofMillis(shutdown.get("drain-timeout-ms").asLong().get());
            Duration teardown = Duration.ofMillis(shutdown.get("teardown-timeout-ms").asLong().get());
            Duration serverGrace = config.get("server.shutdown-grace-period").as(Duration.class).get();
            if (drain.isNegative()) {
                throw new InvalidConfigException("sandpod.shutdown.drain-timeout-ms must be >= 0: " + drain.toMillis());
            }
            if (teardown.compareTo(serverGrace) <= 0) {
                throw new InvalidConfigException("sandpod.shutdown.teardown-timeout-ms must exceed"
                        + " server.shutdown-grace-period (" + serverGrace + "), which it includes: " + teardown.toMillis());
            }
            return new Budget(drain, teardown);
        }

        /** The most a shutdown takes from the signal to the exit. */
        public Duration total() {
            return drain.plus(teardown);
        }
    }

    public Shutdown(Drain drain, WebServer server, Executor executor, Budget budget) {
        this.drain = drain;
        this.server = server;
        this.executor = executor;
        this.budget = budget;
    }

    /** Takes over SIGTERM and SIGINT from the JVM (see the class comment). */
    void onSignals() {
        Signal.handle(new Signal("TERM"), this::signalled);
        Signal.handle(new Signal("INT"), this::signalled);
    }

    /** Runs on a thread the JVM starts for each signal, so it only hands the work on. */
    private void signalled(Signal signal) {
        if (!signalled.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, "SIG" + signal.getName() + " again: not waiting any longer for the runs in flight");
            drain.hurry();
            return;
        }
        Thread.ofPlatform().daemon().name("sandpod-shutdown-watchdog").start(this::haltWhenOverdue);
        // not a daemon, as the signal's thread is: the JVM must not exit under it once the server's threads are gone
        Thread.ofPlatform().daemon(false).name("sandpod-shutdown").start(() -> {
            run("SIG" + signal.getName());
            System.exit(0);
        });
    }

    /**
     * Drains, tears down and stops; returns once this replica holds no sandbox and the server is stopped. Only the first
     * call does anything.
     *
     * @param cause what asked for it, for the log
     */
    public void run(String cause) {
        if (!ran.compareAndSet(false, true)) {
            return;
        }
        long start = System.nanoTime();
        drain.begin();
        LOG.log(Level.INFO, cause + ": draining; not ready, new runs refused, " + drain.active()
                + " run(s) in flight get up to " + budget.drain().toMillis() + " ms");
        try {
            if (!drain.awaitIdle(budget.drain())) {
                LOG.log(Level.WARNING, drain.active() + " run(s) still in flight after " + elapsedMs(start)
                        + " ms; killing their sandboxes");
            }
            executor.close();
            drain.awaitIdle(ANSWERS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.close();
        } finally {
            server.stop();
        }
        LOG.log(Level.INFO, "stopped in " + elapsedMs(start) + " ms");
    }

    private void haltWhenOverdue() {
        try {
            Thread.sleep(budget.total());
        } catch (InterruptedException e) {
            return;
        }
        LOG.log(Level.ERROR, "the shutdown outlived its budget of " + budget.total().toMillis() + " ms; halting");
        Runtime.getRuntime().halt(1);
    }

    private static long elapsedMs(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
