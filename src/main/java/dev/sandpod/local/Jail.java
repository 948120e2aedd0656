package dev.sandpod.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import dev.sandpod.run.Limits;
import dev.sandpod.run.OutputFile;
import dev.sandpod.run.OutputLines;
import dev.sandpod.run.OutputSink;

/**
 * One started jail: its process, its cgroup, its host uid and, on the cold path, the directory of its job file.
 * Single use: {@link #close} kills everything in it and removes what the host made for it.
 */
final class Jail implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Jail.class.getName());
    /**
     * The runner prints one envelope holding at most a few capped outputs and the files of out/ (their own bound is
     * added to this); more than that is not a runner's.
     */
    private static final int MAX_OUTPUTS_BYTES = 16 << 20;
    private static final int MAX_STDERR_BYTES = 8 << 10;
    private static final Duration TEARDOWN = Duration.ofSeconds(5);

    private final String name;
    private final Process process;
    private final RunCgroup cgroup;
    private final HostUids uids;
    private final int hostUid;
    private final Path jobDir;
    private final Consumer<Jail> onClosed;
    private final OutputLines streamed = new OutputLines();
    private final CompletableFuture<byte[]> stdout;
    private final CompletableFuture<byte[]> stderr;
    private boolean closed;

    /**
     * @param hostUid  the leased host uid, or -1 when the jail runs as the service's own uid
     * @param jobDir   the cold path's job directory, or null for a warm jail
     * @param limits   what the jail was started with; its files caps are the service's, the same for every run
     * @param pipeIo   platform threads for the two reads of the jail's pipes, which block for the jail's whole life
     *                 (see {@link Jails})
     * @param onClosed told once the jail is torn down
     */
    Jail(String name, Process process, RunCgroup cgroup, HostUids uids, int hostUid, Path jobDir, Limits limits,
         Executor pipeIo, Consumer<Jail> onClosed) {
        this.name = name;
        this.process = process;
        this.cgroup = cgroup;
        this.uids = uids;
        this.hostUid = hostUid;
        this.jobDir = jobDir;
        this.onClosed = onClosed;
        long stdoutCap = MAX_OUTPUTS_BYTES + OutputFile.envelopeBytes(limits.outFiles(), limits.outFilesBytes());
        this.stdout = drain(process.getInputStream(), (int) Math.min(Integer.MAX_VALUE, stdoutCap), streamed, pipeIo);
        this.stderr = drain(process.getErrorStream(), MAX_STDERR_BYTES, null, pipeIo);
    }

    String name() {
        return name;
    }

    RunCgroup cgroup() {
        return cgroup;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Where the output that a streaming job's runner prints goes, including what it printed before this call. */
    void stream(OutputSink sink) {
        streamed.attach(sink);
    }

    /** Gives a warm jail its job: the runner reads stdin until EOF, so closing it is what starts the run. */
    void send(byte[] job) throws IOException {
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(job);
        }
    }

    /** Closes the stdin pipe unused: a cold jail's stdin is its job file. */
    void closeStdin() throws IOException {
        process.getOutputStream().close();
    }

    /** Waits until the jail's PID 1 has exited, or the timeout; true when it exited by itself. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The exit status of bwrap (the runner's, or 125 when the jail never entered its cgroup); only after exit. */
    int exitValue() {
        return process.exitValue();
    }

    /** What the jail's PID 1 printed; complete once the jail is closed, since then no writer is left. */
    String stdout() {
        return text(stdout);
    }

    /** The start of bubblewrap's and the runner's own diagnostics, for the log; never for clients (host paths). */
    String stderr() {
        return text(stderr);
    }

    /**
     * Kills bwrap, whose death takes PID 1 and with it the whole pid namespace, then empties and removes the
     * cgroup, returns the host uid, and deletes the job directory. Logs what it could not undo.
     *
     * <p>It kills through the {@link ProcessHandle}, not {@link Process#destroyForcibly}: the latter also closes the
     * process's stdout and stderr streams, even when the process has already exited, and a run closed right after its
     * runner exited would lose the envelope that the drain had not read yet ("ended without a result").
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        process.toHandle().destroyForcibly();
        awaitKilled();
        if (cgroup.destroy(TEARDOWN)) {
            if (hostUid > 0) {
                uids.release(hostUid);
            }
        } else {
            LOG.log(System.Logger.Level.ERROR, "jail {0}: its cgroup could not be emptied and removed within {1};"
                    + " host uid {2} stays out of use", name, TEARDOWN, hostUid);
        }
        try {
            Jails.deleteJobDir(jobDir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "jail " + name + ": cannot delete its job directory", e);
        }
        onClosed.accept(this);
    }

    /**
     * Waits for the killed launcher to be gone. A jail closed while it starts may still be the shell that moves itself
     * into the cgroup: the cgroup's teardown cannot see it yet, and on a loaded machine it outlives close() by a while.
     */
    private void awaitKilled() {
        try {
            if (!awaitExit(TEARDOWN)) {
                LOG.log(System.Logger.Level.ERROR, "jail {0}: its process {1} survived SIGKILL for {2}", name,
                        process.pid(), TEARDOWN);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String text(CompletableFuture<byte[]> stream) {
        try {
            return new String(stream.get(TEARDOWN.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (ExecutionException | TimeoutException e) {
            return "";
        }
    }

    /**
     * Reads a stream to its end on a thread of {@code pipeIo}, keeping the first {@code cap} bytes and discarding the rest;
     * {@code lines}, unless null, sees every byte as it comes.
     */
    private static CompletableFuture<byte[]> drain(InputStream in, int cap, OutputLines lines, Executor pipeIo) {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream kept = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try (in) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    kept.write(buffer, 0, Math.max(0, Math.min(n, cap - kept.size())));
                    if (lines != null) {
                        lines.feed(buffer, 0, n);
                    }
                }
            } catch (IOException closedUnderUs) {
                // the process was destroyed: keep what arrived
            }
            return kept.toByteArray();
        }, pipeIo);
    }
}
