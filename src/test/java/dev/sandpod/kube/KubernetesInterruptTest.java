package dev.sandpod.kube;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Cancelling an asynchronous run interrupts its thread: on Kubernetes that must delete its pod, as it does here. */
class KubernetesInterruptTest {
    /** Far longer than the waits below, so only the interrupt can end the pod in time. */
    private static final Limits LONG = new Limits(60_000, 60_000, 128, 65536, 16 << 20, 64);

    private MockCluster cluster;
    private KubernetesExecutor executor;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void start() throws InterruptedException {
        cluster = new MockCluster();
        executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        executor.close();
        cluster.close();
    }

    @Test
    @DisplayName("an interrupted run deletes its pod")
    void interruptDeletesThePod() throws Exception {
        Future<RunResult> run = threads.submit(() -> executor.run(RunRequest.of("import time\ntime.sleep(60)", "", LONG),
                RunId.random()));
        Await.until("the pod to exist", Duration.ofSeconds(20), () -> !cluster.pods().isEmpty());

        run.cancel(true);

        Await.until("the pod to be deleted", Duration.ofSeconds(20), () -> cluster.pods().isEmpty());
        assertEquals(List.of(), cluster.pods());
    }
}
