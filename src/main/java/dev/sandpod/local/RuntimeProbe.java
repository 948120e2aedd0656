package dev.sandpod.local;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.sandpod.run.PythonRuntime;

/**
 * What the local runtimes' interpreters say they have, asked when first needed: two interpreters listing their
 * packages take about 0.4 s, a third of a cold start on two CPUs, and only {@code GET /v1/runtimes} needs the answer.
 * The probe runs on a platform thread of its own, as it blocks in a pipe read that must not hold a carrier serving
 * HTTP (Jails); an interpreter that cannot answer is logged and listed by name alone. Stopping it kills the probing
 * interpreter, so that a closed executor leaves no process behind.
 */
final class RuntimeProbe {
    private static final System.Logger LOG = System.getLogger(RuntimeProbe.class.getName());
    private static final long STOP_WAIT_MS = 5_000;

    private final LocalRuntimes runtimes;
    private final CompletableFuture<List<PythonRuntime>> listing = new CompletableFuture<>();
    private Thread thread;

    private RuntimeProbe(LocalRuntimes runtimes) {
        this.runtimes = runtimes;
    }

    /** A probe of {@code runtimes} that asks nothing until {@link #await()} is first called. */
    static RuntimeProbe of(LocalRuntimes runtimes) {
        return new RuntimeProbe(runtimes);
    }

    /** The names alone, for a backend that could not start. */
    static RuntimeProbe names(LocalRuntimes runtimes) {
        RuntimeProbe probe = new RuntimeProbe(runtimes);
        probe.listing.complete(runtimes.unprobed());
        return probe;
    }

    List<PythonRuntime> await() {
        synchronized (this) {
            if (thread == null && !listing.isDone()) {
                thread = Thread.ofPlatform().daemon().name("runtime-probe").start(this::probe);
            }
        }
        return listing.join();
    }

    /** Ends a probe still running, its interpreter killed and reaped. */
    void stop() {
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running == null) {
            return;
        }
        running.interrupt();
        try {
            running.join(STOP_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void probe() {
        try {
            listing.complete(runtimes.probe());
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot list the runtimes' packages: " + e.getMessage());
            listing.complete(runtimes.unprobed());
        } catch (InterruptedException e) {
            listing.complete(runtimes.unprobed());
        }
    }
}
