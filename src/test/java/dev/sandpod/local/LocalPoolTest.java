package dev.sandpod.local;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import dev.sandpod.run.Limits;
import dev.sandpod.run.RunFile;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class LocalPoolTest {
    private static final Duration FILL = Duration.ofSeconds(30);
    private LocalExecutor pooled;

    @BeforeEach
    void start() {
        pooled = LocalExecutor.create(Jailed.config(2), Jailed.DEFAULTS);
        assertNull(pooled.unreadyReason());
        awaitFull();
    }

    @AfterEach
    void stop() {
        pooled.close();
        Jailed.assertNothingLeft();
    }

    private void awaitFull() {
        Jailed.await(() -> pooled.pooledJails() == 2, FILL, "the pool to fill");
    }

    @Test
    @DisplayName("a claimed jail and a cold one give the same result for the same job")
    void warmAndColdAgree() throws Exception {
        RunRequest request = new RunRequest("""
                import sys
                print(input(), sys.argv[1:], open('in.txt').read())
                print('err', file=sys.stderr)
                sys.exit(4)
                """, "line\n", List.of("x"), List.of(new RunFile("in.txt", "data", "utf8")), Jailed.DEFAULTS, List.of());
        RunResult warm = pooled.run(request, RunId.random());
        RunResult cold;
        try (LocalExecutor coldOnly = LocalExecutor.create(Jailed.config(0), Jailed.DEFAULTS)) {
            cold = coldOnly.run(request, RunId.random());
        }
        assertEquals(Status.RUNTIME_ERROR, warm.status(), warm.toString());
        assertEquals(List.of(cold.status(), cold.exitCode(), cold.stdout(), cold.stderr(), cold.output()),
                List.of(warm.status(), warm.exitCode(), warm.stdout(), warm.stderr(), warm.output()));
    }

    @Test
    @DisplayName("a claim is refilled in the background, and every jail serves one run only")
    void singleUseAndRefilled() throws Exception {
        RunResult first = pooled.run(Jailed.request("open('/tmp/secret', 'w').write('x')\nprint('wrote')"),
                RunId.random());
        assertEquals("wrote\n", first.stdout());
        awaitFull();
        for (int i = 0; i < 3; i++) {
            RunResult next = pooled.run(Jailed.request("import os\nprint(os.listdir('/tmp'))"), RunId.random());
            assertEquals("['run']\n", next.stdout(), "a fresh /tmp holding only the runner's working directory");
        }
        awaitFull();
    }

    @Test
    @DisplayName("a claimed jail takes the run's memory limit: larger and smaller than the pool's default")
    void memoryLimitIsSetAtClaim() throws Exception {
        String allocate = "x = b'x' * (200 << 20)\nprint('allocated')";
        RunResult larger = pooled.run(RunRequest.of(allocate, "", Jailed.limits(5000, 400)), RunId.random());
        assertEquals(Status.OK, larger.status(), larger.toString());
        awaitFull();
        RunResult smaller = pooled.run(RunRequest.of(allocate, "", Jailed.limits(5000, 32)), RunId.random());
        assertEquals(Status.MEMORY_LIMIT, smaller.status(), smaller.toString());
    }

    @Test
    @DisplayName("a run with another tmpfs size goes cold and leaves the pool untouched")
    void otherFileBytesGoesCold() throws Exception {
        Limits small = new Limits(2000, 2000, 128, 65536, 1 << 20, 64);
        RunResult result = pooled.run(RunRequest.of("""
                try:
                    open('/tmp/f', 'wb').write(b'x' * (2 << 20))
                except OSError as e:
                    print(e.errno)
                """, "", small), RunId.random());
        assertEquals("28\n", result.stdout(), "ENOSPC: a 1 MiB tmpfs, not a pooled jail's 16 MiB: " + result);
        assertEquals(2, pooled.pooledJails());
    }
}
