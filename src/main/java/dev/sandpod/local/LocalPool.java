package dev.sandpod.local;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.sandpod.run.Limits;

/**
 * Keeps jails started ahead of need (DESIGN §6), each with its runner blocked reading its job from stdin, so that
 * claiming one costs a pipe write instead of a namespace set-up and an interpreter start. Every jail is still used
 * once; the end of each run triggers a refill on the pool's own platform thread, and an empty pool sends a run down
 * the cold path.
 *
 * <p>Limits: a jail's tmpfs size is fixed when bubblewrap mounts it, so a pooled jail only serves runs with the
 * {@code fileBytes} it was started with; the memory and task limits live in the cgroup and are set to the claiming
 * run's values before its job is written (nothing but the idle runner is in the jail then, far below any limit).
 * Time, CPU and output limits travel in the job itself. A jail whose limits cannot be set, or whose runner has
 * died while it waited, is discarded and the next one tried.
 */
final class LocalPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LocalPool.class.getName());
    /** A jail being started when the pool closes is waited for, so that it is closed here and not leaked. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final Jails jails;
    private final Limits shape;
    private final int size;
    private final ConcurrentLinkedQueue<Jail> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger starting = new AtomicInteger();
    /**
     * Starts the jails one after another. A start waits on the jail spawner and on cgroup and tmpfs set-up, so it runs on
     * a platform thread of its own, never on the virtual-thread carriers that serve HTTP; the spawner starts one jail at
     * a time anyway, so one thread loses no speed.
     */
    private final ExecutorService refiller = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("sandpod-pool-refill").daemon().factory());
    private volatile boolean closed;

    /**
     * @param shape the limits pooled jails are started with; their {@code fileBytes} decides which runs they serve
     */
    LocalPool(Jails jails, Limits shape, int size) {
        this.jails = jails;
        this.shape = shape;
        this.size = size;
    }

    /** Starts jails in the background until the pool is full again; returns at once. */
    synchronized void fill() {
        while (!closed && idle.size() + starting.get() < size) {
            starting.incrementAndGet();
            refiller.execute(this::startOne);
        }
    }

    /**
     * A started jail resized to {@code limits}, or null when none fits or none is ready (then the run goes cold).
     * The caller calls {@link #fill} once its run is over, so that starting the replacement does not compete for
     * the CPU with the run that just claimed (a jail start costs about as much CPU as a small run).
     */
    Jail claim(Limits limits) {
        if (size == 0 || limits.fileBytes() != shape.fileBytes()) {
            return null;
        }
        for (Jail jail = idle.poll(); jail != null; jail = idle.poll()) {
            if (!jail.alive()) {
                LOG.log(System.Logger.Level.WARNING, "pooled jail {0} died while idle: {1}", jail.name(), jail.stderr());
                jail.close();
                continue;
            }
            try {
                jail.cgroup().setLimits(jails.memoryBytes(limits), jails.maxTasks(limits));
                return jail;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "pooled jail " + jail.name() + " cannot take the run's limits", e);
                jail.close();
            }
        }
        return null;
    }

    int idleCount() {
        return idle.size();
    }

    private void startOne() {
        try {
            if (closed) {
                return;
            }
            Jail jail = jails.startWarm(shape);
            idle.add(jail);
            if (closed && idle.remove(jail)) {
                jail.close();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot start a pooled jail; runs go cold until the next claim", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            starting.decrementAndGet();
        }
    }

    /** Stops refilling and kills the idle jails; jails already claimed are closed by their runs. */
    @Override
    public void close() {
        synchronized (this) { // fill() never hands the refiller a start after this
            closed = true;
            refiller.shutdown();
        }
        try {
            if (!refiller.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.ERROR, "a pooled jail was still starting {0} after the pool closed", CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Jail jail = idle.poll(); jail != null; jail = idle.poll()) {
            jail.close();
        }
    }
}
