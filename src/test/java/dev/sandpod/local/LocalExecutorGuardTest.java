package dev.sandpod.local;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The executor's own guards, for when the runner cannot report: a stand-in runner executes the job's code in its
 * own process (PID 1 of the jail), so the code can hang it, get it OOM-killed, or end it without an envelope.
 */
class LocalExecutorGuardTest {
    /** Answers the start-up trial like a runner; anything else is run in the runner's own process. */
    private static final String BARE_RUNNER = """
            import json, sys
            exec(json.loads(sys.stdin.readline())['code'])
            print('SANDPOD-RESULT ' + json.dumps({'status': 'ok', 'stdout': 'sandpod-ok\\n'}))
            """;
    @RegisterExtension
    static final JailedExecutor EXECUTOR = new JailedExecutor(() -> LocalExecutor.create(
            Jailed.config(0, Jailed.shipped().bwrap(), Duration.ofMillis(300)), Jailed.DEFAULTS,
            BARE_RUNNER.getBytes(StandardCharsets.UTF_8)));

    private static RunResult run(String code, int timeMs, int memoryMb) throws InterruptedException {
        return EXECUTOR.run(RunRequest.of(code, "", Jailed.limits(timeMs, memoryMb)));
    }

    @Test
    @DisplayName("a runner that hangs is killed at the time limit plus the margin, and the run is a timeout")
    void hungRunnerTimesOut() throws Exception {
        RunResult result = run("while True: pass", 300, 128);
        assertEquals(Status.TIMEOUT, result.status(), result.toString());
        assertEquals("the sandbox did not finish within its deadline", result.detail());
    }

    @Test
    @DisplayName("a runner killed by the OOM killer is a memory_limit, told by the cgroup's counter")
    void oomKilledRunnerIsMemoryLimit() throws Exception {
        RunResult result = run("x = b'x' * (512 << 20)", 10_000, 16);
        assertEquals(Status.MEMORY_LIMIT, result.status(), result.toString());
    }

    @Test
    @DisplayName("a jail that ends without an envelope is an internal_error with a client-safe detail")
    void silentExitIsInternalError() throws Exception {
        RunResult result = run("import os\nos._exit(3)", 2000, 128);
        assertEquals(Status.INTERNAL_ERROR, result.status(), result.toString());
        assertEquals("the sandbox ended without a result", result.detail());
    }
}
