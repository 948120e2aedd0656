package dev.sandpod.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import dev.sandpod.callback.Callbacks;
import dev.sandpod.run.KeptRun;
import dev.sandpod.run.KeptRuns;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/** The store's bounds, on a clock the test moves: an ended run is forgotten after its TTL, and frees its place. */
class AsyncRunsTest {
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Config SANDPOD = Config.builder().disableEnvironmentVariablesSource()
            .disableSystemPropertiesSource().addSource(ConfigSources.create(Map.of("sandpod.admission.rate-per-second", "0")))
            .addSource(ConfigSources.classpath("application.yaml")).build().get("sandpod");

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AsyncRuns runs = new AsyncRuns(gate(), Callbacks.from(SANDPOD.get("callback")), 1, TTL, now::get,
            KeptRuns.NONE);

    @Test
    @DisplayName("an ended run stays readable within its TTL, then is 404, and its place takes a new run")
    void endedRunsAreForgottenAfterTheirTtl() throws Exception {
        RunId first = runs.submit(null, request(), null);
        awaitEnd(first);
        assertEquals(503, assertThrows(ApiException.class, () -> runs.submit(null, request(), null))
                .problem().status(), "max-runs 1 counts an ended run until its TTL passes");

        now.addAndGet(TTL.toNanos() - 1);
        assertEquals("ok", runs.state(first, null).get("status"));
        now.addAndGet(1);

        assertEquals(404, assertThrows(ApiException.class, () -> runs.state(first, null)).problem().status());
        runs.submit(null, request(), null);
    }

    @Test
    @DisplayName("a run this replica does not hold is asked of the backend, for the caller's key, and answered as it says")
    void runsHeldElsewhereAreAskedOfTheBackend() throws Exception {
        RunId elsewhere = RunId.random();
        RunResult ended = RunResult.internalError(elsewhere, "kept", "why", 7);
        KeptRuns backend = new KeptRuns() {
            @Override
            public Optional<KeptRun> find(RunId id, String keyId) {
                return id.equals(elsewhere) && "alice".equals(keyId) ? Optional.of(new KeptRun("python-3", ended))
                        : Optional.empty();
            }

            @Override
            public Optional<KeptRun> cancel(RunId id, String keyId) {
                return find(id, keyId).map(run -> new KeptRun(run.runtime(), null));
            }
        };
        AsyncRuns replica = new AsyncRuns(gate(), Callbacks.from(SANDPOD.get("callback")), 1, TTL, now::get, backend);
        assertEquals(Json.result(ended, "python-3"), replica.state(elsewhere, "alice"));
        assertEquals(Map.of("id", elsewhere.value(), "status", "running"), replica.cancel(elsewhere, "alice"));
        assertEquals(404, assertThrows(ApiException.class, () -> replica.state(elsewhere, "bob")).problem().status());
        assertEquals(404, assertThrows(ApiException.class, () -> replica.cancel(RunId.random(), "alice")).problem()
                .status());
    }

    private void awaitEnd(RunId id) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!"ok".equals(runs.state(id, null).get("status"))) {
            if (System.nanoTime() > until) {
                fail("run " + id + " did not end: " + runs.state(id, null));
            }
            Thread.sleep(5);
        }
    }

    private static RunRequest request() {
        return new RunRequest("print(1)", "", List.of(), List.of(), Parsed.POLICY.limits(1000, 64), List.of());
    }

    private static RunGate gate() {
        RecordingExecutor executor = new RecordingExecutor().answering(request -> new RunResult("run-0000000000000000",
                Status.OK, 0, null, "", "", "", false, 1, 1, 1, "recording", null, List.of(), null, List.of(), false));
        Config admission = SANDPOD.get("admission");
        return new RunGate(executor, Admission.from(admission), KeyQuotas.from(admission), new Drain());
    }
}
