package dev.sandpod.reliability;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * SIGTERM to the packaged service ({@code bin/serve}, local backend, warm pool on) while runs are in flight: readiness
 * goes DOWN, new runs get 503 with Retry-After, the runs taken answer, the process exits 0 within its configured budget,
 * and no jail process, cgroup or state directory is left. Each service gets a host-uid range and a cgroup parent of
 * this JVM's own, so that the checks never see another Sandpod's jails.
 */
class DrainIT {
    private static final long PID = ProcessHandle.current().pid();
    private static final String CGROUP_PARENT = "sandpod-drain-it-" + PID;
    private static final int UID_MIN = 1900500000 + (int) (PID % 1000) * 1000;
    private static final int UID_MAX = UID_MIN + 999;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern IN_FLIGHT = Pattern.compile("(?m)^sandpod_runs_in_flight\\{[^}]*} ([0-9.]+)$");
    private static final String SLEEP_THEN_PRINT = "{\"code\": \"import time\\ntime.sleep(%s)\\nprint('done')\","
            + " \"timeoutMs\": 10000}";

    @Test
    @DisplayName("SIGTERM mid-run: ready DOWN, new runs 503, the runs in flight answer 200, exit 0, nothing left")
    void drainsRunsInFlight() throws Exception {
        Duration drain = Duration.ofSeconds(30);
        Duration teardown = Duration.ofSeconds(20);
        int runs = 4; // one more than the pool: three warm jails and a cold one
        try (ServiceProcess service = start("drain", drain, teardown, "PT10S");
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                inFlight.add(clients.submit(() -> service.postJson("/v1/runs", SLEEP_THEN_PRINT.formatted("3"),
                        REQUEST_TIMEOUT)));
            }
            awaitInFlight(service, runs);
            Leftovers during = Leftovers.of(service);
            assertFalse(during.jailProcesses().isEmpty(), "the check must see the jails of the runs: " + during);
            assertFalse(during.cgroupParents().isEmpty(), "the check must see the cgroup parents: " + during);
            assertFalse(during.stateDirs().isEmpty(), "the check must see the state directory: " + during);

            long term = System.nanoTime();
            service.sendTerm();
            await(() -> answers(service, "/health/ready") == 503, Duration.ofSeconds(5), "ready to go DOWN");
            HttpResponse<String> refused = service.postJson("/v1/runs", SLEEP_THEN_PRINT.formatted("0"), REQUEST_TIMEOUT);
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""));
            assertTrue(refused.headers().firstValue("Retry-After").isPresent(), refused.headers().toString());

            for (Future<HttpResponse<String>> run : inFlight) {
                HttpResponse<String> answer = run.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(200, answer.statusCode(), answer.body());
                assertTrue(answer.body().contains("\"status\":\"ok\"") && answer.body().contains("\"stdout\":\"done\\n\""),
                        answer.body());
            }
            OptionalInt exit = service.awaitExit(drain.plus(teardown));
            long exitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - term);
            assertEquals(OptionalInt.of(0), exit, "exit status within " + drain.plus(teardown) + "; log " + service.log());
            // the runs needed 3 s: a drain that waited for its timeout instead of for the runs would take 30 s
            assertTrue(exitedMs < drain.toMillis(), "exited " + exitedMs + " ms after SIGTERM");
            assertNothingLeft(service);
        }
    }

    @Test
    @DisplayName("a run longer than the drain allows is cut off with 503, and the process still exits 0 in time")
    void cutsOffARunLongerThanTheDrain() throws Exception {
        Duration drain = Duration.ofSeconds(1);
        Duration teardown = Duration.ofSeconds(8);
        try (ServiceProcess service = start("drain-cutoff", drain, teardown, "PT2S");
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            // 9.5 s of sleep: it would answer 200 after the 9 s that drain and teardown may take together
            Future<HttpResponse<String>> longRun = clients.submit(() -> service.postJson("/v1/runs",
                    SLEEP_THEN_PRINT.formatted("9.5"), REQUEST_TIMEOUT));
            awaitInFlight(service, 1);

            service.sendTerm();
            OptionalInt exit = service.awaitExit(drain.plus(teardown));
            assertEquals(OptionalInt.of(0), exit, "exit status within " + drain.plus(teardown) + "; log " + service.log());
            HttpResponse<String> cutOff = longRun.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(503, cutOff.statusCode(), cutOff.body());
            assertTrue(cutOff.body().contains("the service stopped before the run finished"), cutOff.body());
            assertTrue(cutOff.headers().firstValue("Retry-After").isPresent(), cutOff.headers().toString());
            assertNothingLeft(service);
        }
    }

    @Test
    @DisplayName("a second SIGTERM stops the wait for the runs: they are cut off with 503 and the process exits 0")
    void secondSignalStopsTheWait() throws Exception {
        Duration drain = Duration.ofSeconds(120);
        Duration teardown = Duration.ofSeconds(8);
        try (ServiceProcess service = start("drain-twice", drain, teardown, "PT2S");
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<HttpResponse<String>> longRun = clients.submit(() -> service.postJson("/v1/runs",
                    SLEEP_THEN_PRINT.formatted("9.5"), REQUEST_TIMEOUT));
            awaitInFlight(service, 1);
            service.sendTerm();
            await(() -> answers(service, "/health/ready") == 503, Duration.ofSeconds(5), "ready to go DOWN");
            service.sendTerm();
            // without the second signal the drain would wait for the run's 9.5 s
            OptionalInt exit = service.awaitExit(teardown);
            assertEquals(OptionalInt.of(0), exit, "exit status within " + teardown + " of the second signal; log "
                    + service.log());
            assertEquals(503, longRun.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS).statusCode());
            assertNothingLeft(service);
        }
    }

    private static ServiceProcess start(String name, Duration drain, Duration teardown, String serverGrace)
            throws Exception {
        ServiceProcess service = ServiceProcess.start(name, ServiceProcess.Options.defaults().withEnv(Map.of(
                "SANDPOD_LOCAL_CGROUP_PARENT", CGROUP_PARENT,
                "SANDPOD_LOCAL_HOST_UID_MIN", Integer.toString(UID_MIN),
                "SANDPOD_LOCAL_HOST_UID_MAX", Integer.toString(UID_MAX),
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0",
                "SANDPOD_SHUTDOWN_DRAIN_TIMEOUT_MS", Long.toString(drain.toMillis()),
                "SANDPOD_SHUTDOWN_TEARDOWN_TIMEOUT_MS", Long.toString(teardown.toMillis()),
                "SERVER_SHUTDOWN_GRACE_PERIOD", serverGrace)));
        if (service.awaitPort(Duration.ofSeconds(60)).isEmpty()) {
            service.kill();
            fail(service + " did not listen within 60 s");
        }
        await(() -> answers(service, "/health/ready") == 200, Duration.ofSeconds(60), "ready");
        return service;
    }

    /** Waits until the service's own gauge counts {@code runs} runs holding a sandbox. */
    private static void awaitInFlight(ServiceProcess service, int runs) throws InterruptedException {
        await(() -> {
            try {
                Matcher gauge = IN_FLIGHT.matcher(service.get("/metrics", REQUEST_TIMEOUT).body());
                return gauge.find() && Double.parseDouble(gauge.group(1)) == runs;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, Duration.ofSeconds(30), runs + " run(s) in flight");
    }

    /** The status of a GET, or -1 when none came. */
    private static int answers(ServiceProcess service, String path) {
        try {
            return service.get(path, Duration.ofSeconds(5)).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Nothing of the service's jails outlives it. A killed jail's last processes may wait a moment as zombies for
     * the host's init to reap them, since their parent was the service; they are waited for, not excused.
     */
    private static void assertNothingLeft(ServiceProcess service) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Leftovers left = Leftovers.of(service);
        while (!left.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(50);
            left = Leftovers.of(service);
        }
        assertTrue(left.isEmpty(), "left behind: " + left);
    }

    /** What a local backend leaves on the host: its jails' processes, its cgroup parents, its state directory. */
    private record Leftovers(List<String> jailProcesses, List<Path> cgroupParents, List<Path> stateDirs) {
        static Leftovers of(ServiceProcess service) {
            return new Leftovers(processesOfJailUids(), cgroupParentDirs(), stateDirsOf(service.pid()));
        }

        boolean isEmpty() {
            return jailProcesses.isEmpty() && cgroupParents.isEmpty() && stateDirs.isEmpty();
        }

        /** Processes whose real uid is one of the jails' host uids. */
        private static List<String> processesOfJailUids() {
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                return procs.filter(dir -> dir.getFileName().toString().matches("\\d+"))
                        .filter(dir -> {
                            int uid = realUid(dir);
                            return uid >= UID_MIN && uid <= UID_MAX;
                        })
                        .map(dir -> dir.getFileName() + " " + command(dir))
                        .toList();
            } catch (IOException e) {
                throw new AssertionError("cannot list /proc", e);
            }
        }

        private static int realUid(Path proc) {
            try {
                for (String line : Files.readAllLines(proc.resolve("status"))) {
                    if (line.startsWith("Uid:")) {
                        return Integer.parseInt(line.split("\\s+")[1]);
                    }
                }
            } catch (IOException | RuntimeException gone) {
                // the process ended while we looked
            }
            return -1;
        }

        private static String command(Path proc) {
            try {
                return Files.readString(proc.resolve("comm")).strip();
            } catch (IOException gone) {
                return "?";
            }
        }

        /** This JVM's cgroup parent, in any hierarchy, wherever the service's cgroup put it. */
        private static List<Path> cgroupParentDirs() {
            List<Path> found = new ArrayList<>();
            try {
                Files.walkFileTree(Path.of("/sys/fs/cgroup"), Set.of(), 8, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        if (dir.getFileName() != null && dir.getFileName().toString().equals(CGROUP_PARENT)) {
                            found.add(dir);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        return FileVisitResult.CONTINUE; // another process's cgroup vanished while we walked
                    }
                });
            } catch (IOException e) {
                throw new AssertionError("cannot walk /sys/fs/cgroup", e);
            }
            return found;
        }

        /** The local backend's state directory is named after its process: /tmp/sandpod-local-PID-*. */
        private static List<Path> stateDirsOf(long pid) {
            try (Stream<Path> entries = Files.list(Path.of("/tmp"))) {
                return entries.filter(path -> path.getFileName().toString().startsWith("sandpod-local-" + pid + "-"))
                        .toList();
            } catch (IOException e) {
                throw new AssertionError("cannot list /tmp", e);
            }
        }
    }

    private static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
