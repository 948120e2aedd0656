package dev.sandpod.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.sandpod.run.Limits;

/**
 * Starts jails: creates the run's cgroup, leases its host uid, writes its job file, and launches the
 * {@link BwrapCommand}.
 *
 * <p>Every jail is started from one long-lived platform thread. bubblewrap's {@code --die-with-parent} uses
 * {@code PR_SET_PDEATHSIG}, which fires when the <em>thread</em> that forked the process exits, not the process:
 * a jail forked from a pooled carrier or request thread would be killed when that thread retires, and a pooled jail
 * could die while it waits. The spawner thread lives as long as this object, so jails die with the service only.
 *
 * <p>The service's own files live in a fresh 0700 directory: the seccomp program and the compiled runner, written
 * once, and one 0700 directory per cold run holding its job. The jail gets copies of them through fds, never their paths;
 * a jail's writable space is its own tmpfs, which vanishes with its mount namespace, so the host never opens,
 * follows or deletes a path user code could have touched.
 */
final class Jails implements AutoCloseable {
    static final String JOB_FILE = "job.json";
    /** The state directory's name says which process owns it. */
    static final String STATE_DIR_PREFIX = "sandpod-local-" + ProcessHandle.current().pid() + "-";
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final Path MATPLOTLIBRC = Path.of("/usr/share/matplotlib/mpl-data/matplotlibrc");
    /** Tasks the jail needs beyond the program's: bwrap, the runner and its helper threads. */
    static final int RUNNER_TASKS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LocalConfig config;
    private final Cgroups cgroups;
    private final HostUids uids;
    private final boolean switchUid;
    private final Path stateDir;
    private final Path seccompFile;
    private final Path runnerFile;
    private final List<BwrapCommand.RootEntry> root;
    private final List<BwrapCommand.EtcLink> etcLinks;
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("sandpod-jail-spawner").daemon().factory());
    /**
     * The threads that read every jail's stdout and stderr. Such a read blocks for the jail's whole life, a pooled
     * jail's included, inside a native {@code read(2)}, so it must never run on a virtual thread: a virtual thread in a
     * native call pins its carrier, and the carriers are the few threads (one per CPU) that also run every HTTP
     * request. A start that left a handful of idle pooled jails on 1 or 2 carriers answered no request at all. These
     * are platform threads, two per live jail; admission and the pool size bound the live jails, and so these.
     */
    private final ExecutorService pipeIo = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("sandpod-jail-pipe-", 0).daemon().factory());
    /** Every jail started and not yet torn down: {@link #close} tears down those of the runs still in flight. */
    private final Set<Jail> live = ConcurrentHashMap.newKeySet();
    /** Starts hold the read side and {@link #close} the write side, so that close never meets a half-started jail. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private Jails(LocalConfig config, Cgroups cgroups, boolean switchUid, Path stateDir, Path seccompFile,
                  Path runnerFile, List<BwrapCommand.RootEntry> root, List<BwrapCommand.EtcLink> etcLinks) {
        this.config = config;
        this.cgroups = cgroups;
        this.uids = new HostUids(config.hostUidMin(), config.hostUidMax());
        this.switchUid = switchUid;
        this.stateDir = stateDir;
        this.seccompFile = seccompFile;
        this.runnerFile = runnerFile;
        this.root = root;
        this.etcLinks = etcLinks;
    }

    /**
     * Finds the cgroup hierarchy and writes the service's files, {@code runner} among them; fails with a message
     * that names what is missing.
     */
    static Jails open(LocalConfig config, byte[] runner) throws IOException {
        Cgroups cgroups;
        try {
            cgroups = Cgroups.open(config.cgroupVersion(), config.cgroupParent());
            cgroups.weigh(config.sandboxCpuWeight());
        } catch (AccessDeniedException e) {
            throw new IOException("cgroups: no write access to " + e.getFile() + ": run the service as root, or in a"
                    + " cgroup delegated to its user", e);
        } catch (FileSystemException e) {
            throw new IOException("cgroups: cannot use " + e.getFile() + ": " + e.getReason(), e);
        } catch (IOException e) {
            throw new IOException("cgroups: " + e.getMessage(), e);
        }
        Path stateDir = null;
        try {
            stateDir = Files.createTempDirectory(STATE_DIR_PREFIX);
            Path seccomp = writePrivate(stateDir.resolve("seccomp.bpf"), Seccomp.program());
            Path runnerFile = compile(config.python(), writePrivate(stateDir.resolve("runner.py"), runner));
            return new Jails(config, cgroups, isRoot(), stateDir, seccomp, runnerFile, rootEntries(), etcLinks());
        } catch (IOException | RuntimeException e) {
            cgroups.close();
            deleteStateDir(stateDir);
            throw e;
        }
    }

    LocalConfig config() {
        return config;
    }

    /**
     * Compiles the runner once, with the jails' own interpreter, so that no jail start spends its CPU on compiling
     * it: python runs a {@code .pyc} path directly when its magic number matches, which it does by construction.
     * The source is our own, so running the interpreter outside a jail for this is safe.
     */
    private static Path compile(Path python, Path source) throws IOException {
        Path compiled = source.resolveSibling("runner.pyc");
        ProcessBuilder builder = new ProcessBuilder(python.toString(), "-I", "-S", "-c",
                "import py_compile, sys; py_compile.compile(sys.argv[1], sys.argv[2], doraise=True)",
                source.toString(), compiled.toString()).redirectErrorStream(true);
        builder.environment().clear();
        Process process = builder.start();
        try (InputStream out = process.getInputStream()) {
            String diagnostics = new String(out.readNBytes(4096), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IOException("cannot compile the runner with " + python + ": " + diagnostics.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while compiling the runner", e);
        } finally {
            process.destroyForcibly();
        }
        Files.delete(source);
        return compiled;
    }

    /** A cold jail: the job waits in a file of the service, which becomes the runner's stdin (see BwrapCommand). */
    Jail startCold(Limits limits, byte[] job) throws IOException, InterruptedException {
        return startCold(limits, job, config.python());
    }

    /** A cold jail whose program runs with {@code python}, the interpreter of the run's runtime. */
    Jail startCold(Limits limits, byte[] job, Path python) throws IOException, InterruptedException {
        return start(limits, job, python);
    }

    /** A warm jail: the runner waits for its job on the stdin pipe ({@link Jail#send}). */
    Jail startWarm(Limits limits) throws IOException, InterruptedException {
        return start(limits, null, config.python());
    }

    /** The memory limit of a jail's cgroup: the program's allowance plus the runner's own. */
    long memoryBytes(Limits limits) {
        return (long) (limits.memoryMb() + config.runnerOverheadMb()) << 20;
    }

    int maxTasks(Limits limits) {
        return limits.maxProcs() + RUNNER_TASKS;
    }

    /** Starts a jail, with {@code job} in a file unless it is null; never while {@link #close} runs, nor after. */
    private Jail start(Limits limits, byte[] job, Path python) throws IOException, InterruptedException {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IOException("the local backend is closed");
            }
            Jail jail = launch(limits, job == null ? null : writeJob(job), python);
            live.add(jail);
            return jail;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private Path writeJob(byte[] job) throws IOException {
        Path jobDir = Files.createTempDirectory(stateDir, "job-");
        try {
            writePrivate(jobDir.resolve(JOB_FILE), job);
        } catch (IOException e) { // a full /tmp: the run fails, its directory must not stay behind
            deleteJobDir(jobDir);
            throw e;
        }
        return jobDir;
    }

    private Jail launch(Limits limits, Path jobDir, Path python) throws IOException, InterruptedException {
        String name = "jail-" + HexFormat.of().formatHex(randomBytes());
        int hostUid = switchUid ? uids.lease() : -1;
        if (switchUid && hostUid < 0) {
            deleteJobDir(jobDir);
            throw new IOException("every host uid of " + config.hostUidMin() + "-" + config.hostUidMax() + " is in use");
        }
        RunCgroup cgroup;
        try {
            cgroup = cgroups.create(name, memoryBytes(limits), maxTasks(limits));
        } catch (IOException | RuntimeException e) {
            if (hostUid > 0) {
                uids.release(hostUid);
            }
            deleteJobDir(jobDir);
            throw e;
        }
        BwrapCommand.Spec spec = new BwrapCommand.Spec(config.bwrap(), SETPRIV, hostUid > 0 ? hostUid : null,
                config.uid(), config.gid(), limits.fileBytes(), root, etcLinks, cgroup.procsFiles(), cgroup.oomCounter(),
                seccompFile, runnerFile, jobDir == null ? null : jobDir.resolve(JOB_FILE), runnerCommand(python));
        Process process;
        try {
            process = spawn(BwrapCommand.argv(spec));
        } catch (IOException | InterruptedException | RuntimeException e) {
            cgroup.destroy(Duration.ofSeconds(5));
            if (hostUid > 0) {
                uids.release(hostUid);
            }
            deleteJobDir(jobDir);
            throw e;
        }
        return new Jail(name, process, cgroup, uids, hostUid, jobDir, limits, pipeIo, live::remove);
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /**
     * The runner reading its job from stdin, working in its default directory on the jail's /tmp tmpfs, with
     * RLIMIT_NPROC on the program: exact here, since the jail's uid is its own (a user namespace per jail, and a
     * host uid per jail when the service is root). The runner was compiled for {@code sandpod.local.python}, so that one
     * runs it; {@code program} is the interpreter of the run's runtime.
     */
    private List<String> runnerCommand(Path program) {
        return List.of(config.python().toString(), "-I", "-S", BwrapCommand.RUNNER_PATH, "--job-stdin",
                "--python", program.toString(), "--rlimit-nproc");
    }

    /** Starts the process on the spawner thread (see the class comment); an interrupt never leaks a started jail. */
    private Process spawn(List<String> argv) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(argv).directory(stateDir.toFile());
        builder.environment().clear();
        Future<Process> started = spawner.submit(builder::start);
        try {
            return started.get();
        } catch (InterruptedException e) {
            try {
                started.get().destroyForcibly();
            } catch (ExecutionException failed) {
                // never started
            }
            throw e;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("cannot start bwrap", e.getCause());
        }
    }

    /** True once {@link #close} has begun: every jail is being or has been killed, and none starts any more. */
    boolean closed() {
        return closed;
    }

    /**
     * Kills every jail still running, pooled or in a run, tears each down, and removes the service's cgroup parents and
     * state directory; later starts fail. A run whose jail it kills sees it end without a result. Only the first call
     * does anything.
     */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        spawner.shutdownNow(); // the spawner thread's end kills every jail at once (their parent-death signal)
        List.copyOf(live).forEach(Jail::close); // waits for each to be gone, empties its cgroup, frees its uid and job
        pipeIo.shutdown(); // the drains end with their jails' pipes
        cgroups.close();
        deleteStateDir(stateDir);
    }

    /** Removes a cold run's job directory: service files only, which no jail ever had a path to. */
    static void deleteJobDir(Path jobDir) throws IOException {
        if (jobDir != null) {
            Files.deleteIfExists(jobDir.resolve(JOB_FILE));
            Files.deleteIfExists(jobDir);
        }
    }

    private static void deleteStateDir(Path stateDir) {
        if (stateDir == null) {
            return;
        }
        try (var files = Files.list(stateDir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(stateDir);
        } catch (IOException e) {
            System.getLogger(Jails.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot remove the local backend's state directory", e);
        }
    }

    private static Path writePrivate(Path file, byte[] content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.write(file, content);
    }

    /** The effective uid is 0: jails then switch to a leased host uid; otherwise they run as the service's uid. */
    static boolean isRoot() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                return line.split("\\s+")[2].equals("0");
            }
        }
        throw new IOException("no Uid line in /proc/self/status");
    }

    /**
     * The jail's {@code /etc}: the host's {@code /etc/alternatives} entries of shared libraries that point under /usr, and
     * Debian matplotlib's {@code /etc/matplotlibrc} as the copy its package keeps under /usr. Symlinks to files the jail
     * sees anyway, so that numpy's BLAS loads and matplotlib finds its defaults; none on a host without them.
     */
    private static List<BwrapCommand.EtcLink> etcLinks() throws IOException {
        List<BwrapCommand.EtcLink> links = new ArrayList<>();
        Path alternatives = Path.of("/etc/alternatives");
        if (Files.isDirectory(alternatives)) {
            try (var entries = Files.list(alternatives)) {
                for (Path entry : entries.sorted().toList()) {
                    String name = entry.getFileName().toString();
                    String target = Files.isSymbolicLink(entry) ? Files.readSymbolicLink(entry).toString() : "";
                    if (name.contains(".so") && target.startsWith("/usr/") && !target.contains("/../")) {
                        links.add(new BwrapCommand.EtcLink("alternatives/" + name, target));
                    }
                }
            }
        }
        if (Files.isRegularFile(MATPLOTLIBRC)) {
            links.add(new BwrapCommand.EtcLink("matplotlibrc", MATPLOTLIBRC.toString()));
        }
        return links;
    }

    /** The host's /bin, /lib and /lib64 as the jail recreates them: symlinks on merged-/usr hosts, else binds. */
    private static List<BwrapCommand.RootEntry> rootEntries() throws IOException {
        List<BwrapCommand.RootEntry> entries = new ArrayList<>();
        for (String name : List.of("bin", "lib", "lib64")) {
            Path path = Path.of("/", name);
            if (Files.isSymbolicLink(path)) {
                entries.add(new BwrapCommand.RootEntry(name, Files.readSymbolicLink(path).toString()));
            } else if (Files.isDirectory(path)) {
                entries.add(new BwrapCommand.RootEntry(name, null));
            }
        }
        return entries;
    }
}
