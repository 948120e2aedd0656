package dev.sandpod.kube;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import dev.sandpod.reliability.Overload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The overload of {@code OverloadIT} on the Kubernetes backend, in process against the mock API server with the
 * emulated kubelet running every pod's runner for real: 320 closed-loop clients sending {@code time.sleep(0.5)} runs
 * to a replica of 16 sandboxes for {@code -Dkube.overload.seconds} (8 by default). Every answer must be a 200, or a 503
 * with Retry-After; an admitted run must end within the run's own bound; the replica must stay ready and serve the
 * first run after the load; and no sandbox pod may be left once the load is over. {@code -Dkube.overload.out=FILE}
 * writes the figures as JSON.
 */
class KubernetesOverloadTest {
    private static final int CLIENTS = 320;
    /** The shipped max-concurrent: one client per sandbox, for the baseline measured first in the same run. */
    private static final int CAPACITY = 16;
    private static final Duration LOAD = Duration.ofSeconds(Long.getLong("kube.overload.seconds", 8));
    private static final String SLEEP = "{\"code\": \"import time\\ntime.sleep(0.5)\\nprint('slept')\"}";
    /**
     * The shipped queue timeout, pod start-up timeout, activeDeadlineSeconds and completion margin: the longest an
     * admitted run may take before the executor gives up on its pod.
     */
    private static final Duration ADMITTED_BOUND = Duration.ofMillis(5000 + 30_000 + 3000 + 10_000);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MockCluster cluster;
    private KubernetesExecutor executor;
    private WebServer server;

    @BeforeEach
    void start() throws InterruptedException {
        cluster = new MockCluster();
        executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
        Config config = AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1",
                "SANDPOD_ADMISSION_RATE_PER_SECOND", "0"));
        server = TestServers.start(config, executor);
    }

    @AfterEach
    void stop() {
        server.stop();
        executor.close();
        cluster.close();
    }

    @Test
    @DisplayName("320 clients against 16 sandbox pods: 200 or 503 with Retry-After, ready throughout, no pod left after")
    void shedsTenTimesItsCapacity() throws Exception {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        Overload.Figures atCapacity = Overload.Figures.of(CAPACITY, LOAD.dividedBy(2),
                Overload.drive(address, "/v1/runs", SLEEP, CAPACITY, LOAD.dividedBy(2), Duration.ofSeconds(60)));
        HeapPeak heap = HeapPeak.start();
        List<Overload.Answer> answers = Overload.drive(address, "/v1/runs", SLEEP, CLIENTS, LOAD,
                Duration.ofSeconds(60));
        long peakHeap = heap.stop();
        HttpResponse<String> ready = get("/health/ready");
        long afterStart = System.nanoTime();
        HttpResponse<String> after = http.send(HttpRequest.newBuilder(uri("/v1/runs")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"code\": \"print('after')\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        long afterMs = Duration.ofNanos(System.nanoTime() - afterStart).toMillis();
        long podsLeftAt = System.nanoTime();
        Await.until("no sandbox pod is left", Duration.ofSeconds(30), () -> cluster.pods().isEmpty());
        long podsGoneMs = Duration.ofNanos(System.nanoTime() - podsLeftAt).toMillis();

        Overload.Figures load = Overload.Figures.of(CLIENTS, LOAD, answers);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("series", "kubernetes-mock");
        figures.putAll(load.summary());
        figures.put("servedPerSecond", load.servedPerSecond());
        figures.put("baseline", atCapacity.summary());
        figures.put("baselineServedPerSecond", atCapacity.servedPerSecond());
        figures.put("heapPeakUsedMb", peakHeap >> 20);
        figures.put("firstRunAfterMs", afterMs);
        figures.put("podsGoneAfterMs", podsGoneMs);
        Overload.record(figures, System.getProperty("kube.overload.out"));

        assertEquals(List.of(), load.unexpected(), "every answer is 200, 429 or 503: " + figures);
        assertEquals(0, load.refusalsWithoutRetryAfter(), "every refusal has Retry-After: " + figures);
        assertTrue(load.count(200) > 0 && load.count(503) > 0, "runs were admitted and shed: " + figures);
        assertEquals(0, load.byRunStatus().getOrDefault("internal_error", 0), "no sandbox failed: " + figures);
        assertTrue(load.count(200) >= 2 * CAPACITY, "every sandbox served runs one after another during the load,"
                + " not one run held for all of it: " + figures);
        assertTrue(load.admittedMaxMs() <= ADMITTED_BOUND.toMillis(), "admitted runs end within their bound: " + figures);
        assertEquals(200, ready.statusCode(), "the replica stayed ready: " + ready.body());
        assertEquals(200, after.statusCode(), "the first run after the load is served: " + after.body());
        assertTrue(after.body().contains("\"stdout\":\"after\\n\""), after.body());
    }

    /** The peak of this JVM's used heap, sampled every 100 ms on a platform thread of its own. */
    private record HeapPeak(Thread sampler, long[] peak) {
        static HeapPeak start() {
            long[] peak = new long[1];
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                var memory = ManagementFactory.getMemoryMXBean();
                while (!Thread.currentThread().isInterrupted()) {
                    peak[0] = Math.max(peak[0], memory.getHeapMemoryUsage().getUsed());
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            return new HeapPeak(sampler, peak);
        }

        long stop() throws InterruptedException {
            sampler.interrupt();
            sampler.join();
            return peak[0];
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
