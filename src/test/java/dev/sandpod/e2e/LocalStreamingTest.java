package dev.sandpod.e2e;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.sandpod.EventStreamClient;
import dev.sandpod.EventStreamClient.Event;
import dev.sandpod.EventStreamClient.Streamed;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Streamed runs through HTTP in real bubblewrap jails, read by a real SSE client: output as it is written, the same
 * caps and deadlines as a blocking run, refusals as problems, async runs' event streams, and a client that hangs up.
 */
class LocalStreamingTest {
    private static final String SLEEPER = "/usr/bin/sleep";

    @RegisterExtension
    static final LocalService SERVICE = new LocalService();

    private static EventStreamClient events() {
        return new EventStreamClient(SERVICE.get().base());
    }

    @Test
    @DisplayName("stdout and stderr come as the program writes them, then one result event that holds them whole")
    void streamsAsWritten() throws Exception {
        Streamed stream = events().post("/v1/runs", Map.of("code", """
                import sys, time
                print("first", flush=True)
                print("oops", file=sys.stderr, flush=True)
                time.sleep(1.5)
                print("second")"""), Map.of());

        assertEquals(200, stream.status(), stream::body);
        assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
        assertEquals("status", stream.events().getFirst().name());
        assertEquals("running", stream.events().getFirst().text("status"));
        Event result = stream.result();
        assertEquals("ok", result.text("status"), result.data()::toString);
        assertEquals("first\nsecond\n", stream.joined("stdout"));
        assertEquals(result.text("stdout"), stream.joined("stdout"));
        assertEquals("oops\n", stream.joined("stderr"));
        Event first = stream.named("stdout").getFirst();
        assertEquals("first\n", first.text("text"));
        // the program sleeps 1.5 s after "first": an answer buffered to the end would bring both at once
        long gapMs = Duration.ofNanos(result.arrivedNanos() - first.arrivedNanos()).toMillis();
        assertTrue(gapMs >= 1000, "the first chunk came only " + gapMs + " ms before the result");
        List<String> ids = stream.events().stream().map(Event::id).toList();
        assertEquals(List.of("1", "2", "3", "4", "5"), ids.subList(0, Math.min(5, ids.size())));
    }

    @Test
    @DisplayName("the output cap holds as in a blocking run: 64 KiB streamed, the rest cut, output_limit")
    void outputCapHolds() throws Exception {
        Map<String, Object> body = Map.of("code", "import sys\nsys.stdout.write('x' * 200000)");
        Streamed stream = events().post("/v1/runs", body, Map.of());
        Service.Answer blocking = SERVICE.get().post("/v1/runs", body);

        Event result = stream.result();
        assertEquals("output_limit", result.text("status"));
        assertEquals(65536, stream.joined("stdout").length());
        assertEquals(result.text("stdout"), stream.joined("stdout"));
        assertEquals(blocking.text("stdout"), stream.joined("stdout"));
        assertEquals(blocking.text("status"), result.text("status"));
    }

    @Test
    @DisplayName("the deadline holds: a program that never ends streams what it wrote, then a timeout result")
    void deadlineHolds() throws Exception {
        Streamed stream = events().post("/v1/runs", Map.of("code", "print('a', flush=True)\nwhile True: pass",
                "timeoutMs", 500), Map.of());

        Event result = stream.result();
        assertEquals("timeout", result.text("status"), result.data()::toString);
        assertEquals("a\n", stream.joined("stdout"));
    }

    @Test
    @DisplayName("a request refused before it runs answers a problem, not a stream")
    void refusalIsAProblem() throws Exception {
        Streamed stream = events().post("/v1/runs", Map.of("code", "print(1)", "runtime", "cobol"), Map.of());

        assertEquals(400, stream.status());
        assertTrue(stream.contentType().startsWith("application/problem+json"), stream.contentType());
        assertTrue(stream.body().contains("cobol"), stream.body());
    }

    @Test
    @DisplayName("a judged run streams no output, only its state and its verdict")
    void judgedRunStreamsNoOutput() throws Exception {
        Streamed stream = events().post("/v1/runs", Map.of("code", "print(input())",
                "tests", List.of(Map.of("input", "7", "expectedOutput", "7"))), Map.of());

        assertEquals("accepted", stream.result().text("verdict"));
        assertEquals(List.of(), stream.named("stdout"));
    }

    @Test
    @DisplayName("an asynchronous run's events: from the start, and from after Last-Event-ID with nothing twice")
    void asyncRunEvents() throws Exception {
        Service.Answer accepted = SERVICE.get().post("/v1/runs", Map.of("async", true, "code",
                "import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.2)"));
        String path = accepted.headers().firstValue("Location").orElseThrow() + "/events";

        Streamed all = events().get(path, Map.of());
        assertEquals(List.of("queued", "running"), all.named("status").stream().map(e -> e.text("status")).toList());
        assertEquals("0\n1\n2\n", all.joined("stdout"));
        assertEquals(all.result().text("stdout"), all.joined("stdout"));

        String afterFirst = all.named("stdout").getFirst().id();
        Streamed rest = events().get(path, Map.of("Last-Event-ID", afterFirst));
        assertEquals("1\n2\n", rest.joined("stdout"));
        assertEquals(List.of(), rest.named("status"));
        assertEquals("ok", rest.result().text("status"));
    }

    @Test
    @DisplayName("an unknown run's events are a 404 problem")
    void unknownRunEvents() throws Exception {
        Streamed stream = events().get("/v1/runs/run-0123456789abcdef/events", Map.of());

        assertEquals(404, stream.status());
        assertTrue(stream.contentType().startsWith("application/problem+json"), stream.contentType());
    }

    @Test
    @DisplayName("a client that hangs up takes its run's sandbox with it: the program is killed long before it ends")
    void hangUpKillsTheSandbox() throws Exception {
        Streamed cut = events().postAndHangUp("/v1/runs", Map.of("timeoutMs", 10000, "code",
                "import os\nprint('up', flush=True)\nos.execv('" + SLEEPER + "', ['sleep', '9'])"),
                event -> event.name().equals("stdout"));
        assertEquals("up\n", cut.joined("stdout"));
        await(LocalStreamingTest::sleeperRuns, Duration.ofSeconds(2), "the program to exec its sleep");

        // heartbeats every 2 s find the closed connection; the program's own sleep would last 9 s
        await(() -> !sleeperRuns(), Duration.ofSeconds(7), "the jailed program to die with its client's connection");
    }

    private static void await(java.util.function.BooleanSupplier condition, Duration within, String what)
            throws InterruptedException {
        long until = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                fail("waited " + within.toSeconds() + " s for " + what);
            }
            Thread.sleep(50);
        }
    }

    private static boolean sleeperRuns() {
        return ProcessHandle.current().descendants().anyMatch(p -> p.info().command().orElse("").equals(SLEEPER));
    }
}
