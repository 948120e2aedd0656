package dev.sandpod.reliability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A soak of the packaged service with the local backend, in a process of its own so that what it holds can be counted
 * from outside ({@link Footprint}): {@value #CLIENTS_DEFAULT} clients send {@code -Dsandpod.soak.runs} runs (240 by
 * default; {@code bench/run} asks for 10,000) of the {@link SoakMix} (ok, judge mode, files, timeouts, memory and output
 * limits, crashes, a fork bomb, a client that hangs up mid-run), each of which must end as its program says. Then,
 * once the pool has refilled, every count must be back where it was before the soak, with the pool full: fds by kind,
 * the threads that are not pools' idle threads, the mounts the service and the host see, and exactly the pool's idle
 * jails in processes, host-uid processes and run cgroups, and no job directory.
 *
 * <p>Idle threads of the cached pools (the jails' pipe drains, the JDK's process reapers) and the virtual-thread
 * scheduler's extra carriers are no leak: they serve the next runs and retire after their keep-alive (60 s; 30 s for
 * carriers). They are told apart from busy threads by what they sleep in ({@link ThreadCensus}) and bounded by what the
 * configuration allows at once: two drains and one reaper per live jail, and a live jail per admitted run or pooled
 * jail. With {@code -Dsandpod.soak.keepAlive=true} ({@code bench/run}) the soak also waits out the keep-alive before both
 * counts, and then every thread count must be back too. {@code -Dsandpod.soak.out=FILE} writes the figures as JSON.
 */
class SoakIT {
    private static final int CLIENTS_DEFAULT = 6;
    private static final int RUNS = Integer.getInteger("sandpod.soak.runs", 240);
    private static final int CLIENTS = Integer.getInteger("sandpod.soak.clients", CLIENTS_DEFAULT);
    private static final boolean AWAIT_KEEP_ALIVE = Boolean.getBoolean("sandpod.soak.keepAlive");
    /** The longest keep-alive of the pools above (the JDK's cached thread pools), and a margin. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(65);
    private static final int POOL_SIZE = 3;
    /**
     * Runs admitted at once: one per client, so that the bounds below are tight; a client that hung up sends its next
     * run while the abandoned one still runs, and that one waits in the admission queue.
     */
    private static final int MAX_CONCURRENT = CLIENTS;
    /** Jails alive at once: one per admitted run, and the pool's. */
    private static final int LIVE_JAILS = MAX_CONCURRENT + POOL_SIZE;
    /** An idle jail is bubblewrap, which waits outside the jail, and the runner, PID 1 inside it. */
    private static final int JAIL_PROCESSES = 2;
    private static final long PID = ProcessHandle.current().pid();
    private static final String CGROUP_PARENT = "sandpod-soak-" + PID;
    /**
     * Host uids of this JVM's own, away from the shipped range and the attack suite's, and exactly as many as jails can
     * be alive at once: a jail leases one until its cgroup is gone, so a uid that is never given back makes a later
     * run fail to start its jail ({@code internal_error}), and the soak counts it as a wrong answer.
     */
    private static final int HOST_UID_MIN = 1902000000 + (int) (PID % 1000) * 1000;
    private static final int HOST_UID_MAX = HOST_UID_MIN + LIVE_JAILS - 1;
    private static final Set<String> STATE_FILES = Set.of("runner.pyc", "seccomp.bpf");
    private static final Duration READY_WITHIN = Duration.ofSeconds(60);
    private static final Duration SETTLE_WITHIN = Duration.ofSeconds(60);
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);
    private static final Duration GONE_WITHIN = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("Mixed runs, over and over, answer as their programs say and leave fds, threads, processes, cgroups,"
            + " mounts and temp dirs as they found them")
    void soakLeavesNothingBehind() throws Exception {
        ServiceProcess.Options options = ServiceProcess.Options.defaults().withEnv(Map.of(
                "SANDPOD_BACKEND", "local",
                "SANDPOD_LOCAL_POOL_SIZE", Integer.toString(POOL_SIZE),
                "SANDPOD_LOCAL_CGROUP_PARENT", CGROUP_PARENT,
                "SANDPOD_LOCAL_HOST_UID_MIN", Integer.toString(HOST_UID_MIN),
                "SANDPOD_LOCAL_HOST_UID_MAX", Integer.toString(HOST_UID_MAX),
                "SANDPOD_ADMISSION_MAX_CONCURRENT", Integer.toString(MAX_CONCURRENT),
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0"));
        try (ServiceProcess service = ServiceProcess.start("soak", options)) {
            awaitReady(service);
            Footprint.Scope scope = new Footprint.Scope(service.pid(), HOST_UID_MIN, HOST_UID_MAX,
                    Footprint.cgroupParents(CGROUP_PARENT), Path.of(System.getProperty("java.io.tmpdir")));
            assertFalse(scope.cgroupParents().isEmpty(), "no cgroup parent " + CGROUP_PARENT + " under /sys/fs/cgroup");
            // one cycle of the mix first, so that classes, JIT and every pool have what each program needs
            Soak warmUp = Soak.drive(service, SoakMix.cycleLength(), CLIENTS);
            assertTrue(warmUp.mismatches().isEmpty(), "warm-up: " + warmUp.mismatches());
            Footprint start = settled(scope, null);
            Soak soak = Soak.drive(service, RUNS, CLIENTS);
            Footprint end = settled(scope, start);
            List<String> leaks = problems(end, start);
            record(soak, start, end);
            assertEquals(0, soak.mismatchCount(), soak.mismatchCount() + " of " + RUNS + " runs did not answer as their"
                    + " program says, e.g.:\n" + String.join("\n", soak.mismatches()));
            assertEquals(SoakMix.planned(RUNS), soak.perProgram(), "runs per program");
            assertTrue(leaks.isEmpty(), "after " + RUNS + " runs, from " + start + "\nto " + end + ":\n  "
                    + String.join("\n  ", leaks) + "\nlog " + service.log());
            service.terminate(Duration.ofSeconds(30));
            assertGone(scope);
        }
    }

    /** Polls ready with a client of its own, closed after, so that no connection of it stays in the fd counts. */
    private static void awaitReady(ServiceProcess service) throws Exception {
        if (service.awaitPort(READY_WITHIN).isEmpty()) {
            fail(service + " did not listen within " + READY_WITHIN);
        }
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        try (HttpClient client = HttpClient.newHttpClient()) {
            while (System.nanoTime() - deadline < 0) {
                try {
                    HttpResponse<Void> ready = client.send(HttpRequest.newBuilder(URI.create(service.base() + "/health/ready"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                    if (ready.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // polled again until the deadline
                }
                Thread.sleep(100);
            }
        }
        fail(service + " was not ready within " + READY_WITHIN);
    }

    /**
     * Waits (past the pools' keep-alive when asked to) until the footprint is at rest: the pool refilled and nothing
     * else in flight, and, given {@code start}, back to it; fails with what is still wrong at the deadline.
     */
    private static Footprint settled(Footprint.Scope scope, Footprint start) throws IOException {
        if (AWAIT_KEEP_ALIVE) {
            LockSupport.parkNanos(KEEP_ALIVE.toNanos());
        }
        long deadline = System.nanoTime() + SETTLE_WITHIN.toNanos();
        Footprint previous = null;
        Footprint now = Footprint.of(scope);
        List<String> problems = problems(now, start);
        // at rest, and the same twice in a row, so that the baseline is not taken in the middle of a refill
        while ((!problems.isEmpty() || !now.equals(previous)) && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            previous = now;
            now = Footprint.of(scope);
            problems = problems(now, start);
        }
        if (start == null) {
            assertTrue(problems.isEmpty(), "the service did not come to rest before the soak: " + now + "\n  "
                    + String.join("\n  ", problems));
        }
        return now;
    }

    /** What is wrong with {@code now}: at rest with a full pool, and given {@code start}, back to it. */
    private static List<String> problems(Footprint now, Footprint start) {
        List<String> problems = new ArrayList<>();
        expect(problems, "processes under the service", now.descendants(), POOL_SIZE * JAIL_PROCESSES);
        expect(problems, "processes of the jails' host uids", now.hostUidProcesses(), POOL_SIZE * JAIL_PROCESSES);
        now.runCgroups().forEach((parent, cgroups) -> expect(problems, "run cgroups in " + parent, cgroups, POOL_SIZE));
        expect(problems, "state directories", now.stateDirs(), 1);
        if (!now.stateFiles().equals(STATE_FILES)) {
            problems.add("the state directory holds " + now.stateFiles() + ", expected " + new TreeSet<>(STATE_FILES));
        }
        ThreadCensus threads = now.threads();
        expect(problems, "pipe drains reading a jail's pipe", threads.busyDrains(), 2 * POOL_SIZE);
        expect(problems, "process reapers waiting for a child", threads.busyReapers(), POOL_SIZE);
        atMost(problems, "idle pipe drains", threads.idleDrains(), AWAIT_KEEP_ALIVE ? 0 : 2 * LIVE_JAILS);
        atMost(problems, "idle process reapers", threads.idleReapers(), AWAIT_KEEP_ALIVE ? 0 : LIVE_JAILS);
        if (start != null) {
            // a virtual thread in a file read may add a carrier; each admitted run's thread blocks in one at most
            atMost(problems, "carriers", threads.carriers(), AWAIT_KEEP_ALIVE ? start.threads().carriers()
                    : Math.max(start.threads().carriers(), Runtime.getRuntime().availableProcessors()) + MAX_CONCURRENT);
            same(problems, "open fds by kind", now.fds(), start.fds());
            same(problems, "other threads by name", threads.others(), start.threads().others());
            same(problems, "the service's mounts", now.serviceMounts(), start.serviceMounts());
            same(problems, "the host's mounts", now.hostMounts(), start.hostMounts());
        }
        return problems;
    }

    private static void expect(List<String> problems, String what, long actual, long expected) {
        if (actual != expected) {
            problems.add(what + ": " + actual + ", expected " + expected);
        }
    }

    private static void atMost(List<String> problems, String what, long actual, long bound) {
        if (actual > bound) {
            problems.add(what + ": " + actual + ", at most " + bound);
        }
    }

    private static void same(List<String> problems, String what, Object actual, Object expected) {
        if (!actual.equals(expected)) {
            problems.add(what + ": " + actual + ", " + expected + " before the soak");
        }
    }

    /**
     * After the service exited: its state directory, its cgroup parents and its jails are gone. A killed jail's runner
     * is reparented to init, which reaps it when it gets to it, so this waits a little for the processes.
     */
    private static void assertGone(Footprint.Scope scope) throws IOException {
        List<String> left = new ArrayList<>();
        for (Path parent : scope.cgroupParents()) {
            if (Files.exists(parent)) {
                left.add("cgroup parent " + parent);
            }
        }
        try (var entries = Files.list(scope.tmp())) {
            entries.filter(path -> path.getFileName().toString().startsWith("sandpod-local-" + scope.pid() + "-"))
                    .forEach(path -> left.add("state directory " + path));
        }
        long deadline = System.nanoTime() + GONE_WITHIN.toNanos();
        List<String> jailed = Footprint.hostUidProcesses(scope);
        while (!jailed.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            jailed = Footprint.hostUidProcesses(scope);
        }
        jailed.forEach(process -> left.add("process of a jail's host uid: " + process));
        assertEquals(List.of(), left, "the stopped service left");
    }

    private static void record(Soak soak, Footprint start, Footprint end) throws IOException {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("runs", RUNS);
        figures.put("clients", CLIENTS);
        figures.put("poolSize", POOL_SIZE);
        figures.put("awaitedKeepAlive", AWAIT_KEEP_ALIVE);
        figures.put("seconds", soak.elapsed().toMillis() / 1000.0);
        figures.put("runsPerSecond", Math.round(RUNS * 10_000.0 / soak.elapsed().toMillis()) / 10.0);
        figures.put("statuses", soak.perStatus());
        figures.put("programs", soak.perProgram());
        figures.put("mismatches", soak.mismatchCount());
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("fds", startEnd(start.totalFds(), end.totalFds()));
        resources.put("fdsByKind", Map.of("start", start.fds(), "end", end.fds()));
        resources.put("threads", startEnd(start.threads().total(), end.threads().total()));
        resources.put("busyPipeDrains", startEnd(start.threads().busyDrains(), end.threads().busyDrains()));
        resources.put("idlePipeDrains", startEnd(start.threads().idleDrains(), end.threads().idleDrains()));
        resources.put("busyProcessReapers", startEnd(start.threads().busyReapers(), end.threads().busyReapers()));
        resources.put("idleProcessReapers", startEnd(start.threads().idleReapers(), end.threads().idleReapers()));
        resources.put("carriers", startEnd(start.threads().carriers(), end.threads().carriers()));
        resources.put("jvmThreads", startEnd(start.threads().jvm(), end.threads().jvm()));
        resources.put("childProcesses", startEnd(start.descendants(), end.descendants()));
        resources.put("hostUidProcesses", startEnd(start.hostUidProcesses(), end.hostUidProcesses()));
        resources.put("runCgroups", startEnd(sum(start.runCgroups()), sum(end.runCgroups())));
        resources.put("cgroupParents", start.runCgroups().size());
        resources.put("serviceMounts", startEnd(start.serviceMounts().size(), end.serviceMounts().size()));
        resources.put("hostMounts", startEnd(start.hostMounts().size(), end.hostMounts().size()));
        resources.put("stateDirs", startEnd(start.stateDirs(), end.stateDirs()));
        resources.put("jobDirs", startEnd(start.jobDirs(), end.jobDirs()));
        figures.put("resources", resources);
        String json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(figures);
        System.out.println("SOAK " + json);
        String out = System.getProperty("sandpod.soak.out");
        if (out != null) {
            Files.writeString(Path.of(out), json + "\n");
        }
    }

    private static Map<String, Long> startEnd(long start, long end) {
        return Map.of("start", start, "end", end);
    }

    private static int sum(Map<Path, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * Runs numbered 0 to {@code runs - 1} of the {@link SoakMix}, sent by {@code clients} clients of one HTTP client,
     * which is closed after, and what their answers were.
     */
    private record Soak(Duration elapsed, Map<String, Integer> perStatus, Map<String, Integer> perProgram,
                        int mismatchCount, List<String> mismatches) {
        private static final int MISMATCHES_KEPT = 20;

        static Soak drive(ServiceProcess service, int runs, int clients) throws InterruptedException {
            AtomicInteger next = new AtomicInteger();
            Map<String, Integer> perStatus = new TreeMap<>();
            Map<String, Integer> perProgram = new LinkedHashMap<>();
            SoakMix.PROGRAMS.forEach(program -> perProgram.put(program.name(), 0));
            AtomicInteger mismatchCount = new AtomicInteger();
            ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
            long started = System.nanoTime();
            try (HttpClient client = HttpClient.newHttpClient();
                 ExecutorService senders = Executors.newFixedThreadPool(clients)) {
                for (int i = 0; i < clients; i++) {
                    senders.execute(() -> {
                        for (int run = next.getAndIncrement(); run < runs; run = next.getAndIncrement()) {
                            SoakMix.Program program = SoakMix.programOf(run);
                            String wrong = answer(client, service, run, program, perStatus);
                            synchronized (perProgram) {
                                perProgram.merge(program.name(), 1, Integer::sum);
                            }
                            if (wrong != null && mismatchCount.incrementAndGet() <= MISMATCHES_KEPT) {
                                mismatches.add("run " + run + " (" + program.name() + "): " + wrong);
                            }
                        }
                    });
                }
                senders.shutdown();
                senders.awaitTermination(1, TimeUnit.DAYS);
            }
            return new Soak(Duration.ofNanos(System.nanoTime() - started), perStatus, perProgram, mismatchCount.get(),
                    List.copyOf(mismatches));
        }

        /** Sends one run and checks its answer; what is wrong with it, or null. */
        private static String answer(HttpClient client, ServiceProcess service, int run, SoakMix.Program program,
                                     Map<String, Integer> perStatus) {
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(service.base() + "/v1/runs"))
                        .timeout(program.hangUp() == null ? ANSWER_WITHIN : program.hangUp())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(program.request().apply(run))))
                        .build(), HttpResponse.BodyHandlers.ofString());
                JsonNode answer = JSON.readTree(response.body());
                count(perStatus, response.statusCode() == 200 ? answer.path("status").asText()
                        : "HTTP " + response.statusCode());
                if (response.statusCode() != 200) {
                    return "HTTP " + response.statusCode() + ": " + response.body();
                }
                String wrong = program.mismatch(run, answer);
                return wrong == null ? null : wrong + ": " + response.body();
            } catch (HttpTimeoutException e) {
                count(perStatus, program.hangUp() == null ? "no answer" : "hung up");
                return program.hangUp() == null ? "no answer within " + ANSWER_WITHIN : null;
            } catch (IOException e) {
                count(perStatus, "no answer");
                return "no answer: " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }

        private static void count(Map<String, Integer> perStatus, String status) {
            synchronized (perStatus) {
                perStatus.merge(status, 1, Integer::sum);
            }
        }
    }
}
