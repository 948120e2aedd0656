package dev.sandpod.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Starts runner.py on the host as a sandbox would: {@code /usr/bin/python3 -I}, an empty environment and, when the
 * tests run as root, a uid of its own (as in a pod), so that rlimits and a non-dumpable runner mean what they mean
 * in production. No jail: the local backend's tests cover that; these cover the runner's own logic.
 *
 * <p>Each test gets a directory owned by the sandbox uid, in which the runner creates its working directory.
 */
final class RunnerHarness {
    static final String PYTHON = "/usr/bin/python3";
    /** Unused by anything else on the machine, so that RLIMIT_NPROC and the leftover check count only our processes. */
    static final int SANDBOX_UID = 47113;
    static final boolean ROOT = uidOf(Path.of("/proc/self")) == 0;
    private static final String JOB_VARIABLE = "SANDPOD_JOB";
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String RUNNER_SOURCE = readRunner();

    private final Path tempDir;
    private final Path dir;

    RunnerHarness(Path tempDir) throws IOException {
        this.tempDir = tempDir;
        Files.setPosixFilePermissions(tempDir, PosixFilePermissions.fromString("rwx--x--x"));
        dir = Files.createDirectory(tempDir.resolve("sandbox"));
        if (ROOT) {
            Files.setAttribute(dir, "unix:uid", SANDBOX_UID);
            Files.setAttribute(dir, "unix:gid", SANDBOX_UID);
        }
    }

    /** The directory the runner's working directory goes into; the program may write here too. */
    Path dir() {
        return dir;
    }

    Path workdir() {
        return dir.resolve("run");
    }

    RunnerOutput run(TestJob job) throws IOException, InterruptedException {
        return invoke(job.json()).run();
    }

    Invocation invoke(String jobJson) {
        return new Invocation(jobJson);
    }

    /** Fails unless every process of the sandbox uid is gone within a few seconds (SIGKILL is asynchronous). */
    static void assertNothingLeftRunning() throws IOException, InterruptedException {
        if (!ROOT) {
            return;
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> left = livingProcessesOfSandboxUid();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            left = livingProcessesOfSandboxUid();
        }
        assertEquals(List.of(), left, "processes of the sandbox uid left running");
    }

    private static List<String> livingProcessesOfSandboxUid() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path proc : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    List<String> status = Files.readAllLines(proc.resolve("status"));
                    boolean zombie = status.stream().anyMatch(l -> l.startsWith("State:") && l.contains("Z"));
                    boolean ours = status.stream().anyMatch(l -> l.startsWith("Uid:")
                            && l.split("\\s+")[1].equals(Integer.toString(SANDBOX_UID)));
                    if (ours && !zombie) {
                        found.add(proc.getFileName() + " " + Files.readString(proc.resolve("cmdline")).replace('\0', ' '));
                    }
                } catch (IOException gone) {
                    // the process ended while we looked
                }
            }
        }
        return found;
    }

    private static int uidOf(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readRunner() {
        try (InputStream in = RunnerHarness.class.getResourceAsStream("/runner.py")) {
            if (in == null) {
                throw new IllegalStateException("runner.py is not on the test classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    enum Source { STDIN, FILE, ENV }

    /** One runner command line: where the job comes from, extra flags, and an optional wrapper such as unshare. */
    final class Invocation {
        private final String job;
        private Source source = Source.STDIN;
        private boolean runnerAsFile;
        private final List<String> flags = new ArrayList<>();
        private final List<String> wrapper = new ArrayList<>();

        private Invocation(String job) {
            this.job = job;
        }

        Invocation source(Source value) {
            source = value;
            return this;
        }

        /** Starts {@code python3 -I runner.py} instead of {@code python3 -I -c <source>}. */
        Invocation runnerAsFile() {
            runnerAsFile = true;
            return this;
        }

        Invocation flags(String... values) {
            flags.addAll(List.of(values));
            return this;
        }

        Invocation wrappedIn(String... command) {
            wrapper.addAll(List.of(command));
            return this;
        }

        RunnerOutput run() throws IOException, InterruptedException {
            Started started = start();
            if (source == Source.STDIN) {
                started.sendJob(true);
            }
            return started.await();
        }

        Started start() throws IOException {
            List<String> command = new ArrayList<>(wrapper);
            if (ROOT) {
                command.addAll(List.of("/usr/bin/setpriv", "--reuid=" + SANDBOX_UID, "--regid=" + SANDBOX_UID,
                        "--clear-groups"));
            }
            command.addAll(List.of(PYTHON, "-I"));
            if (runnerAsFile) {
                command.add(Files.writeString(tempDir.resolve("runner.py"), RUNNER_SOURCE).toString());
            } else {
                command.addAll(List.of("-c", RUNNER_SOURCE));
            }
            switch (source) {
                case STDIN -> command.add("--job-stdin");
                case FILE -> command.addAll(List.of("--job-file",
                        Files.writeString(tempDir.resolve("job.json"), job).toString()));
                case ENV -> command.addAll(List.of("--job-env", JOB_VARIABLE));
            }
            if (!flags.contains("--workdir")) {
                command.addAll(List.of("--workdir", workdir().toString()));
            }
            command.addAll(flags);
            Path stderr = tempDir.resolve("runner.stderr");
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(stderr.toFile());
            builder.environment().clear();
            if (source == Source.ENV) {
                builder.environment().put(JOB_VARIABLE, job);
            }
            return new Started(builder.start(), job, stderr);
        }
    }

    /** A started runner: send it the job (stdin mode), then await its one line. */
    static final class Started {
        private final Process process;
        private final String job;
        private final Path stderr;
        private final CompletableFuture<byte[]> stdout;

        private Started(Process process, String job, Path stderr) {
            this.process = process;
            this.job = job;
            this.stderr = stderr;
            this.stdout = CompletableFuture.supplyAsync(() -> {
                try {
                    return process.getInputStream().readAllBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        long pid() {
            return process.pid();
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** Writes the job and a newline; with {@code thenEof} false, stdin stays open as on a Kubernetes attach. */
        Started sendJob(boolean thenEof) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((job + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            if (thenEof) {
                in.close();
            }
            return this;
        }

        RunnerOutput await() throws IOException, InterruptedException {
            try {
                String raw = new String(stdout.get(PATIENCE.toSeconds(), TimeUnit.SECONDS), StandardCharsets.UTF_8);
                if (!process.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                    fail("runner did not exit after printing its result");
                }
                process.getOutputStream().close();
                return new RunnerOutput(raw, Files.readString(stderr));
            } catch (TimeoutException e) {
                process.destroyForcibly();
                return fail("runner gave no result within " + PATIENCE + "; stderr: " + Files.readString(stderr));
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            }
        }
    }
}
