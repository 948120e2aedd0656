package dev.sandpod.local;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class LocalExecutorTest {
    private static LocalExecutor executor;

    @BeforeAll
    static void start() {
        executor = LocalExecutor.create(Jailed.config(0), Jailed.DEFAULTS);
        assertNull(executor.unreadyReason());
    }

    @AfterAll
    static void stop() {
        executor.close();
    }

    @Test
    void helloWorld() throws Exception {
        RunResult result = executor.run(Jailed.request("print('Hello, World!')"), RunId.random());
        assertEquals(Status.OK, result.status(), result.toString());
        assertEquals("Hello, World!\n", result.stdout());
    }
}
