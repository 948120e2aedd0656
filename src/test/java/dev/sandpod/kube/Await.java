package dev.sandpod.kube;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded polling for state that changes asynchronously (informer sync, reaper sweeps); never a bare sleep. */
final class Await {
    private Await() {
    }

    static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    static void ready(KubernetesExecutor executor) throws InterruptedException {
        until("the executor is ready", Duration.ofSeconds(30), () -> executor.unreadyReason() == null);
    }
}
