package dev.sandpod.reliability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged service in a process of its own, started by {@code bin/serve}: the file {@code bin/start} ends with, so
 * a test starts exactly what a user starts. It listens on an ephemeral loopback port, read back from its log, and can be
 * pinned to CPUs with {@code taskset}. Its output goes to a log file under {@code target/service-logs}.
 */
public final class ServiceProcess implements AutoCloseable {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path LOGS = ROOT.resolve("target/service-logs");
    private static final Pattern LISTENING = Pattern.compile("Sandpod listening on port (\\d+)");

    private final String name;
    private final Process process;
    private final Path log;
    private final long startedNanos;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private int port;

    /**
     * How to start it.
     *
     * @param cpus     a {@code taskset -c} CPU list, or null for every CPU
     * @param javaOpts the JVM options {@code bin/serve} passes through ({@code JAVA_OPTS}), or ""
     * @param env      more environment, over the service's defaults
     */
    public record Options(String cpus, String javaOpts, Map<String, String> env) {
        public static Options defaults() {
            return new Options(null, "", Map.of());
        }

        public Options pinnedTo(String cpuList) {
            return new Options(cpuList, javaOpts, env);
        }

        public Options withJavaOpts(String options) {
            return new Options(cpus, options, env);
        }

        public Options withEnv(Map<String, String> more) {
            Map<String, String> all = new HashMap<>(env);
            all.putAll(more);
            return new Options(cpus, javaOpts, Map.copyOf(all));
        }
    }

    private ServiceProcess(String name, Process process, Path log, long startedNanos) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.startedNanos = startedNanos;
    }

    /** Starts it and returns at once; {@link #awaitPort} tells when it listens. */
    public static ServiceProcess start(String name, Options options) throws IOException {
        Path jar = ROOT.resolve("target/sandpod.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": these tests run after `mvn package` (mvn verify does it)");
        }
        Files.createDirectories(LOGS);
        Path log = LOGS.resolve(name + ".log");
        List<String> command = new ArrayList<>();
        if (options.cpus() != null) {
            command.addAll(List.of("taskset", "-c", options.cpus()));
        }
        command.add(ROOT.resolve("bin/serve").toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("JAVA_OPTS", options.javaOpts());
        env.put("SERVER_PORT", "0");
        env.put("SERVER_HOST", "127.0.0.1");
        env.putAll(options.env());
        long started = System.nanoTime();
        return new ServiceProcess(name, builder.start(), log, started);
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** Time since the process was started. */
    public Duration age() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** Waits until the log says which port it listens on; empty if it did not within the timeout or exited. */
    public OptionalInt awaitPort(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0 && process.isAlive()) {
            Matcher listening = LISTENING.matcher(logText());
            if (listening.find()) {
                port = Integer.parseInt(listening.group(1));
                return OptionalInt.of(port);
            }
            Thread.sleep(20);
        }
        return OptionalInt.empty();
    }

    public String base() {
        return "http://127.0.0.1:" + port();
    }

    public java.net.InetSocketAddress address() {
        return new java.net.InetSocketAddress("127.0.0.1", port());
    }

    private int port() {
        if (port == 0) {
            throw new IllegalStateException(name + " has not reported its port yet");
        }
        return port;
    }

    public HttpResponse<String> get(String path, Duration timeout) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> postJson(String path, String json, Duration timeout) throws IOException, InterruptedException {
        return postJson(path, json, timeout, Map.of());
    }

    public HttpResponse<String> postJson(String path, String json, Duration timeout, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** Writes a JSON thread dump next to the log ({@code jcmd Thread.dump_to_file}) and returns its path. */
    public Path threadDump(String label) throws IOException, InterruptedException {
        Path dump = LOGS.resolve(name + "-" + label + "-threads.json");
        Files.deleteIfExists(dump);
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid()), "Thread.dump_to_file", "-format=json", dump.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        jcmd.waitFor(30, TimeUnit.SECONDS);
        return dump;
    }

    /** Sends SIGTERM and waits for the exit; its exit code, or empty when it had to be killed after the timeout. */
    public OptionalInt terminate(Duration timeout) throws InterruptedException {
        sendTerm();
        OptionalInt exit = awaitExit(timeout);
        if (exit.isEmpty()) {
            kill();
        }
        return exit;
    }

    /** Sends SIGTERM and returns at once, so that a test can watch the shutdown. */
    public void sendTerm() {
        process.destroy();
    }

    /** Waits for the exit; its exit code, or empty when it still runs after the timeout. */
    public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return OptionalInt.of(process.exitValue());
        }
        return OptionalInt.empty();
    }

    /** SIGKILL, and waits for it to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate(Duration.ofSeconds(30));
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", log " + ROOT.relativize(log) + ")";
    }
}
