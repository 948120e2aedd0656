package dev.sandpod.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.WebServer;

import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Once the drain begins: readiness DOWN, new runs 503 with Retry-After, the runs taken answered; over a real socket. */
class DrainTest {
    private static final Config CONFIG = Config.builder()
            .disableEnvironmentVariablesSource()
            .disableSystemPropertiesSource()
            .addSource(ConfigSources.create(Map.of(
                    "sandpod.admission.max-concurrent", "1",
                    "sandpod.admission.max-queued", "1",
                    "sandpod.admission.queue-timeout-ms", "30000",
                    "sandpod.admission.rate-per-second", "0")))
            .addSource(ConfigSources.classpath("application.yaml"))
            .build();
    private static final String RUN = "{\"code\":\"x\"}";

    private final RecordingExecutor executor = new RecordingExecutor();
    private final Drain drain = new Drain();
    private final CountDownLatch gate = new CountDownLatch(1);
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    private WebServer server;
    private Http1Client client;

    @BeforeEach
    void start() {
        executor.holdRunsUntil(gate);
        executor.answering(request -> new RunResult("run-0000000000000000", Status.OK, 0, null, "done", "", "done", false,
                5, 3, 1000, "recording", null, List.of(), null, List.of(), false));
        server = WebServer.builder()
                .config(CONFIG.get("server"))
                .port(0)
                .host("127.0.0.1")
                .addFeature(Observability.feature(CONFIG.get("server.features.observe"), executor, drain))
                .routing(routing -> ApiRouting.routing(routing, CONFIG.get("sandpod"), executor, drain))
                .build()
                .start();
        client = Http1Client.builder().baseUri("http://127.0.0.1:" + server.port()).build();
    }

    @AfterEach
    void stop() {
        gate.countDown();
        clients.shutdownNow();
        server.stop();
    }

    @Test
    @DisplayName("readiness answers DOWN at once, naming the shutdown, even while the backend is ready")
    void readinessGoesDownAtOnce() {
        assertEquals(200, status(client.get("/health/ready").request()));
        assertTrue(drain.begin());
        try (Http1ClientResponse ready = client.get("/health/ready").request()) {
            assertEquals(503, ready.status().code());
            assertTrue(ready.as(String.class).contains("the replica is shutting down"));
        }
        assertEquals(200, status(client.get("/health/live").request()), "a draining replica is alive");
    }

    @Test
    @DisplayName("a new run on either route is refused with 503, Retry-After and a problem, and never reaches the backend")
    void newRunsAreRefused() {
        drain.begin();
        for (String path : List.of("/v1/runs", "/")) {
            try (Http1ClientResponse response = post(path)) {
                assertEquals(503, response.status().code(), path);
                assertEquals("1", response.headers().get(HeaderNames.RETRY_AFTER).get(), path);
                assertEquals("application/problem+json", response.headers().contentType().orElseThrow().text(), path);
                assertTrue(response.as(String.class).contains("shutting down"), path);
            }
        }
        assertTrue(executor.received.isEmpty());
    }

    @Test
    @DisplayName("a run in flight when the drain begins answers 200, and the drain waits for that answer")
    void runInFlightFinishes() throws Exception {
        Future<Integer> inFlight = clients.submit(() -> status(post("/v1/runs")));
        await(() -> executor.received.size() == 1, "the run to reach the backend");
        drain.begin();
        assertFalse(drain.awaitIdle(Duration.ofMillis(200)), "the run is still held");
        gate.countDown();
        assertEquals(200, inFlight.get(30, TimeUnit.SECONDS));
        assertTrue(drain.awaitIdle(Duration.ofSeconds(30)));
    }

    @Test
    @DisplayName("a run queued when the drain begins is refused with 503 when its slot frees, without running")
    void queuedRunIsRefused() throws Exception {
        Future<Integer> inFlight = clients.submit(() -> status(post("/v1/runs")));
        await(() -> executor.received.size() == 1, "the first run to take the only slot");
        Future<Integer> queued = clients.submit(() -> status(post("/v1/runs")));
        await(() -> drain.active() == 2, "the second run to wait in the queue");
        drain.begin();
        gate.countDown();
        assertEquals(200, inFlight.get(30, TimeUnit.SECONDS));
        assertEquals(503, queued.get(30, TimeUnit.SECONDS));
        assertEquals(1, executor.received.size());
        assertTrue(drain.awaitIdle(Duration.ofSeconds(30)));
    }

    @Test
    @DisplayName("hurry ends a wait for runs that are still held")
    void hurryEndsTheWait() throws Exception {
        clients.submit(() -> status(post("/v1/runs")));
        await(() -> executor.received.size() == 1, "the run to reach the backend");
        drain.begin();
        Future<Boolean> idle = clients.submit(() -> drain.awaitIdle(Duration.ofMinutes(10)));
        drain.hurry();
        assertFalse(idle.get(30, TimeUnit.SECONDS));
        assertEquals(1, drain.active());
    }

    private Http1ClientResponse post(String path) {
        return client.post(path).header(HeaderNames.CONTENT_TYPE, "application/json").submit(RUN);
    }

    private static int status(Http1ClientResponse response) {
        try (response) {
            return response.status().code();
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
