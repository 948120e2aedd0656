package dev.sandpod.kube;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandpod.e2e.Service;
import dev.sandpod.run.RunRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service over HTTP, its Kubernetes executor talking to the mock API server through a {@link FaultProxy}, while the
 * API server fails: 500 to every request, requests taken and never answered, answers that stall after their head,
 * nothing listening, the watch cut or answered 410 Gone. The emulated kubelet keeps talking to the mock directly, as
 * the nodes would.
 *
 * <p>The contract: every run answers within its deadline ({@link KubernetesExecutor#deadline}) plus the cleanup allowance
 * and {@link #SLACK} for a loaded machine, with 503 and Retry-After while the API server fails (or its result);
 * readiness goes down once the API server is seen failing and comes back when it answers again; a pod that finished
 * while the watch was down still completes its run once the informer is back, within the run's deadline; no pod is left
 * once the API server is back. {@code -Dkube.faults.out=FILE} writes the timings measured to FILE as JSON (not under
 * {@code sandpod.}: the service refuses system properties it does not know there).
 */
class ApiFaultTest {
    /** Room for a loaded 2-core machine between the executor's answer and the test's clock (HTTP, scheduling). */
    private static final Duration SLACK = Duration.ofSeconds(3);
    private static final Map<String, Long> FIGURES = new ConcurrentHashMap<>();
    private static final Map<String, Object> HELLO = Map.of("code", "print('hello')");

    private MockCluster cluster;
    private FaultProxy proxy;
    private KubernetesExecutor executor;
    private Service service;

    @BeforeEach
    void start() throws InterruptedException {
        cluster = new MockCluster();
        proxy = new FaultProxy(cluster.server.getPort());
        // a deadline of 8 + 3 + 2 s for the default run, so that a run held past it fails the test in seconds
        KubeConfig config = MockCluster.config(Map.of("startup-timeout-ms", "8000", "completion-margin-ms", "2000"));
        executor = new KubernetesExecutor(cluster.client(MockCluster.EXECUTOR_AGENT, proxy.url()), config,
                MockCluster.defaultLimits());
        Await.ready(executor);
        service = Service.start(Map.of(), sandpod -> executor);
    }

    @AfterEach
    void stop() {
        try {
            service.close();
        } finally {
            proxy.close();
            cluster.close();
        }
    }

    @AfterAll
    static void writeFigures() throws Exception {
        String out = System.getProperty("kube.faults.out");
        if (out != null) {
            Files.writeString(Path.of(out), new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(new TreeMap<>(FIGURES)) + "\n");
        }
    }

    @ParameterizedTest
    @EnumSource(value = FaultProxy.Fault.class, names = {"ERROR_500", "BLACKHOLE", "STALL", "REFUSE"})
    @DisplayName("while the API server fails, concurrent runs each answer 503 with Retry-After within their deadline")
    void runsAre503WithinTheirDeadline(FaultProxy.Fault fault) throws Exception {
        assertEquals("ok", service.post("/v1/runs", HELLO).text("status"));
        proxy.inject(fault);
        List<Future<Timed>> answers = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 4; i++) {
                answers.add(clients.submit(() -> Timed.post(service, HELLO)));
            }
        }
        long slowest = 0;
        for (Future<Timed> answer : answers) {
            Timed timed = answer.get();
            assertUnavailableInTime(timed);
            slowest = Math.max(slowest, timed.millis());
        }
        Timed refused = Timed.post(service, HELLO);
        assertUnavailableInTime(refused);
        FIGURES.put(fault + ".firstAnswerMs", slowest);
        FIGURES.put(fault + ".refusedWhileDownMs", refused.millis());
    }

    @ParameterizedTest
    @EnumSource(value = FaultProxy.Fault.class, names = {"ERROR_500", "BLACKHOLE", "STALL", "REFUSE"})
    @DisplayName("readiness goes down once the API server is seen failing, comes back when it answers, and runs succeed")
    void readinessFollowsTheApiServer(FaultProxy.Fault fault) throws Exception {
        proxy.inject(fault);
        assertUnavailableInTime(Timed.post(service, HELLO));
        Service.Answer ready = service.get("/health/ready");
        assertEquals(503, ready.status(), ready.body().toString());
        assertTrue(ready.body().toString().contains("Kubernetes API"), ready.body().toString());
        long back = System.nanoTime();
        proxy.inject(FaultProxy.Fault.NONE);
        awaitReady();
        FIGURES.put(fault + ".readyAgainMs", (System.nanoTime() - back) / 1_000_000);
        Service.Answer run = service.post("/v1/runs", HELLO);
        assertEquals(200, run.status(), run.body().toString());
        assertEquals("hello\n", run.text("stdout"));
    }

    @ParameterizedTest
    @EnumSource(value = FaultProxy.Fault.class, names = {"ERROR_500", "BLACKHOLE", "STALL", "REFUSE"})
    @DisplayName("a run whose pod ends while the API server fails answers in time, and its pod is deleted once it is back")
    void noPodIsLeftOnceTheApiServerIsBack(FaultProxy.Fault fault) throws Exception {
        cluster.kubelet.mode(KubeletEmulator.Mode.HELD);
        CompletableFuture<Timed> inFlight = CompletableFuture.supplyAsync(() -> Timed.postQuietly(service, HELLO));
        awaitRunningPod("the run's pod runs");
        proxy.inject(fault);
        cluster.kubelet.releaseHeld();
        Timed answer = inFlight.join();
        assertInTime(answer);
        assertTrue(answer.status() == 503 || answer.status() == 200, answer.toString());
        if (answer.status() == 503) {
            assertEquals("5", answer.answer().headers().firstValue("Retry-After").orElseThrow());
        }
        long back = System.nanoTime();
        proxy.inject(FaultProxy.Fault.NONE);
        Await.until("no sandbox pod is left", Duration.ofSeconds(30), () -> cluster.pods().isEmpty());
        FIGURES.put(fault + ".podsGoneAfterBackMs", (System.nanoTime() - back) / 1_000_000);
    }

    @ParameterizedTest
    @EnumSource(WatchLoss.class)
    @DisplayName("a pod that finishes while the watch is lost completes its run with its result once the informer is back")
    void podFinishedDuringAWatchLossCompletesItsRun(WatchLoss loss) throws Exception {
        cluster.kubelet.mode(KubeletEmulator.Mode.HELD);
        Map<String, Object> echo = Map.of("code", "print(input())", "input", "survived");
        CompletableFuture<Timed> inFlight = CompletableFuture.supplyAsync(() -> Timed.postQuietly(service, echo));
        awaitRunningPod("the run's pod runs");
        proxy.inject(loss.fault);
        proxy.dropConnections();
        // one request to the mock after the cuts runs behind its close handlers, so the pod's end is written after the
        // watch is gone, as the test means, and not into the mock's deadlock of a watch closed with an event in flight
        assertEquals(1, cluster.pods().size());
        cluster.kubelet.releaseHeld();
        Await.until("the pod has finished", Duration.ofSeconds(30), () -> cluster.pods().stream()
                .anyMatch(pod -> "Succeeded".equals(pod.getStatus().getPhase())));
        proxy.inject(FaultProxy.Fault.NONE);
        Timed answer = inFlight.join();
        assertInTime(answer);
        assertEquals(200, answer.status(), answer.toString());
        assertEquals("ok", answer.answer().text("status"), answer.toString());
        assertEquals("survived", answer.answer().text("stdout"));
        awaitReady();
        Await.until("no sandbox pod is left", Duration.ofSeconds(30), () -> cluster.pods().isEmpty());
        FIGURES.put("watch." + loss + ".runMs", answer.millis());
    }

    @Test
    @DisplayName("a pod whose end event never comes (the watch went silent) completes its run by one GET once overdue")
    void silentWatchIsMadeUpForByOneGet() throws Exception {
        cluster.kubelet.mode(KubeletEmulator.Mode.HELD);
        Map<String, Object> echo = Map.of("code", "print(input())", "input", "asked");
        CompletableFuture<Timed> inFlight = CompletableFuture.supplyAsync(() -> Timed.postQuietly(service, echo));
        awaitRunningPod("the run's pod runs");
        proxy.inject(FaultProxy.Fault.WATCH_SILENT);
        cluster.kubelet.releaseHeld();
        Timed answer = inFlight.join();
        assertInTime(answer);
        assertEquals("ok", answer.answer().text("status"), answer.toString());
        assertEquals("asked", answer.answer().text("stdout"));
        proxy.inject(FaultProxy.Fault.NONE);
        FIGURES.put("watch.SILENT.runMs", answer.millis());
    }

    @ParameterizedTest
    @EnumSource(value = FaultProxy.Fault.class, names = {"ERROR_500", "STALL"})
    @DisplayName("a warm run whose claim meets a failing API server answers 503 within its deadline")
    void warmClaimMeetsAFailingApiServer(FaultProxy.Fault fault) throws Exception {
        service.close();
        executor = new KubernetesExecutor(cluster.client(MockCluster.EXECUTOR_AGENT, proxy.url()),
                MockCluster.config(Map.of("startup-timeout-ms", "8000", "completion-margin-ms", "2000", "pool-size", "1")),
                MockCluster.defaultLimits());
        service = Service.start(Map.of(), sandpod -> executor);
        Await.ready(executor);
        awaitRunningPod("a standby pod runs");
        proxy.inject(fault);
        assertUnavailableInTime(Timed.post(service, HELLO));
        proxy.inject(FaultProxy.Fault.NONE);
        awaitReady();
    }

    /** How the informer loses its watch while a pod finishes. */
    enum WatchLoss {
        /** The connection is cut and the informer may reconnect at once. */
        CUT(FaultProxy.Fault.NONE),
        /** The connection is cut and nothing listens until the pod has finished. */
        CUT_AND_REFUSED(FaultProxy.Fault.REFUSE),
        /** The connection is cut and every new watch is answered 410 Gone until the pod has finished. */
        CUT_AND_GONE(FaultProxy.Fault.WATCH_GONE);

        private final FaultProxy.Fault fault;

        WatchLoss(FaultProxy.Fault fault) {
            this.fault = fault;
        }
    }

    private void awaitRunningPod(String what) throws InterruptedException {
        Await.until(what, Duration.ofSeconds(30), () -> cluster.pods().stream()
                .anyMatch(pod -> pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())));
    }

    private void awaitReady() throws InterruptedException {
        Await.until("/health/ready answers 200", Duration.ofSeconds(60), () -> {
            try {
                return service.get("/health/ready").status() == 200;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void assertUnavailableInTime(Timed timed) {
        assertInTime(timed);
        assertEquals(503, timed.status(), timed.toString());
        assertEquals("application/problem+json", timed.answer().headers().firstValue("Content-Type").orElseThrow());
        assertEquals("5", timed.answer().headers().firstValue("Retry-After").orElseThrow());
    }

    /** The run answered within its deadline, the cleanup allowance and the slack. */
    private void assertInTime(Timed timed) {
        Duration bound = executor.deadline(RunRequest.of("print('hello')", "", MockCluster.defaultLimits()))
                .plus(KubernetesExecutor.CLEANUP).plus(SLACK);
        assertTrue(timed.millis() <= bound.toMillis(), timed + " took longer than " + bound);
    }

    /** An answer and how long it took. */
    private record Timed(Service.Answer answer, long millis) {
        static Timed post(Service service, Map<String, Object> body) throws Exception {
            long started = System.nanoTime();
            Service.Answer answer = service.post("/v1/runs", body);
            return new Timed(answer, (System.nanoTime() - started) / 1_000_000);
        }

        static Timed postQuietly(Service service, Map<String, Object> body) {
            try {
                return post(service, body);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        int status() {
            return answer.status();
        }

        @Override
        public String toString() {
            return answer.status() + " " + answer.body() + " in " + millis + " ms";
        }
    }
}
