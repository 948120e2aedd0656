package dev.sandpod.e2e;

import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;


import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Asynchronous runs in real bubblewrap jails: a result at GET, and a cancel that kills the jail's processes. */
class LocalAsyncCancelTest {
    private static final String SLEEPER = "/usr/bin/sleep";
    @RegisterExtension
    static final LocalService SERVICE = new LocalService();

    @Test
    @DisplayName("an asynchronous run's result at GET is what the program printed")
    void resultAtGet() throws Exception {
        String id = SERVICE.get().post("/v1/runs", Map.of("code", "print(6 * 7)", "async", true)).text("id");

        await(() -> !state(id).equals("queued") && !state(id).equals("running"), "the run to end");

        Service.Answer ended = SERVICE.get().get("/v1/runs/" + id);
        assertEquals("ok", ended.text("status"), ended.body()::toString);
        assertEquals("42\n", ended.text("stdout"));
        assertEquals("local", ended.text("backend"));
    }

    @Test
    @DisplayName("DELETE of a running run kills its jail: the program's process is gone, the run ends killed")
    void cancelKillsTheJail() throws Exception {
        Service.Answer accepted = SERVICE.get().post("/v1/runs", Map.of("code",
                "import os\nos.execv('" + SLEEPER + "', ['sleep', '8'])", "timeoutMs", 10000, "async", true));
        assertEquals(202, accepted.status(), accepted.body()::toString);
        String id = accepted.text("id");
        await(LocalAsyncCancelTest::sleeperRuns, "the program to start");

        Service.Answer cancelled = SERVICE.get().delete("/v1/runs/" + id);

        assertEquals("killed", cancelled.text("status"), cancelled.body()::toString);
        await(() -> !sleeperRuns(), "the jailed program to be killed");
        assertEquals("cancelled", SERVICE.get().get("/v1/runs/" + id).text("detail"));
    }

    private static boolean sleeperRuns() {
        return ProcessHandle.current().descendants().anyMatch(p -> p.info().command().orElse("").equals(SLEEPER));
    }

    private static String state(String id) {
        try {
            return SERVICE.get().get("/v1/runs/" + id).text("status");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Bounded polling: well under the program's own 8 s, so a jail that outlived its cancel would fail this. */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                fail("waited in vain for " + what);
            }
            Thread.sleep(20);
        }
    }
}
