package dev.sandpod.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the service's stop does to the local backend: every jail goes, those of runs in flight too, and so does the rest. */
class LocalExecutorCloseTest {
    /** Far past the test: only the close can end these runs. */
    private static final RunRequest SLEEPER = RunRequest.of("import time\ntime.sleep(9)\nprint('too late')", "",
            Jailed.limits(10_000, 64));

    @Test
    @DisplayName("close kills the jails of runs in flight, which answer 503, and leaves no process, cgroup or file")
    void closeEndsRunsInFlightAndLeavesNothing() throws Exception {
        LocalExecutor executor = LocalExecutor.create(Jailed.config(1), Jailed.DEFAULTS);
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            Jailed.await(() -> executor.pooledJails() == 1, Duration.ofSeconds(30), "the pool to fill");
            // one run takes the pooled jail, the other starts cold
            List<Future<?>> runs = List.of(clients.submit(() -> executor.run(SLEEPER, RunId.random())),
                    clients.submit(() -> executor.run(SLEEPER, RunId.random())));
            // the pooled jail and the cold one (a refill waits for the end of a run), each in every hierarchy it uses
            Jailed.await(() -> Jailed.jailCgroups().stream().map(Path::getFileName).distinct().count() == 2,
                    Duration.ofSeconds(30), "both runs in their jails");
            long closing = System.nanoTime();
            executor.close();
            for (Future<?> run : runs) {
                ExecutionException failure = assertThrows(ExecutionException.class, () -> run.get(30, TimeUnit.SECONDS));
                BackendUnavailableException refused = assertInstanceOf(BackendUnavailableException.class,
                        failure.getCause());
                assertEquals("the service stopped before the run finished", refused.getMessage());
            }
            // the runs sleep for 9 s: an answer well before that came from the close
            long answeredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
            assertTrue(answeredMs < 8_000, "runs answered " + answeredMs + " ms after the close");
            Jailed.assertNothingLeft();
            assertEquals(List.of(), stateDirs(), "state directory left behind");
            assertEquals(List.of(), Jailed.cgroupParents(), "cgroup parents left behind");
            assertThrows(BackendUnavailableException.class, () -> executor.run(Jailed.request("print(1)"), RunId.random()));
        } finally {
            clients.shutdownNow();
            executor.close();
        }
    }

    private static List<Path> stateDirs() throws IOException {
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.filter(path -> path.getFileName().toString().startsWith(Jails.STATE_DIR_PREFIX)).toList();
        }
    }
}
