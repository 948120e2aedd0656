package dev.sandpod.api;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The queue in front of the sandboxes, with real threads holding its slots: who waits, in which order, and who is
 * refused without waiting. A refusal that comes while every slot is still held, with a queue timeout of a minute, was
 * not waiting for anything.
 */
class AdmissionTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        threads.shutdownNow();
    }

    @Test
    @DisplayName("a run past a full queue is refused with 503 and Retry-After while every slot is still held")
    void fullQueueRefusesAtOnce() throws Exception {
        Admission admission = new Admission(1, 1, MINUTE);
        Future<String> holder = hold(admission);
        awaitInFlight(admission, 1);
        Future<String> queued = threads.submit(() -> admission.admit(() -> "queued"));
        awaitQueued(admission, 1);

        ApiException refused = assertThrows(ApiException.class, () -> admission.admit(() -> "never"));

        assertEquals(503, refused.problem().status());
        assertEquals(Duration.ofSeconds(1), refused.retryAfter().orElseThrow());
        assertEquals(1, admission.inFlight(), "the holder still holds its slot");
        release.countDown();
        assertEquals("held", holder.get(10, TimeUnit.SECONDS));
        assertEquals("queued", queued.get(10, TimeUnit.SECONDS));
    }

    @Test
    @DisplayName("a run whose expected wait is past the queue timeout is refused at once, with room left in the queue")
    void expectedWaitPastTimeoutRefusesAtOnce() throws Exception {
        Admission admission = new Admission(1, 10, Duration.ofMillis(200));
        assertEquals("slow", admission.admit(() -> {
            Thread.sleep(400);
            return "slow";
        }));
        assertTrue(admission.expectedWait(1).toMillis() >= 400, "the mean hold time is the slow run's");
        Future<String> holder = hold(admission);
        awaitInFlight(admission, 1);

        ApiException refused = assertThrows(ApiException.class, () -> admission.admit(() -> "never"));

        assertEquals(503, refused.problem().status());
        assertTrue(refused.problem().detail().contains("expected wait"), refused.problem().detail());
        assertEquals(0, admission.queued());
        assertEquals(1, admission.inFlight(), "the holder still holds its slot");
        release.countDown();
        assertEquals("held", holder.get(10, TimeUnit.SECONDS));
    }

    @Test
    @DisplayName("a run whose expected wait is within the queue timeout waits and runs")
    void expectedWaitWithinTimeoutWaits() throws Exception {
        Admission admission = new Admission(1, 10, MINUTE);
        admission.admit(() -> "fast");
        Future<String> holder = hold(admission);
        awaitInFlight(admission, 1);
        Future<String> waiter = threads.submit(() -> admission.admit(() -> "waited"));
        awaitQueued(admission, 1);

        release.countDown();

        assertEquals("held", holder.get(10, TimeUnit.SECONDS));
        assertEquals("waited", waiter.get(10, TimeUnit.SECONDS));
    }

    @Test
    @DisplayName("queued runs take the freed slots in the order they came")
    void queueIsFirstComeFirstServed() throws Exception {
        Admission admission = new Admission(1, 10, MINUTE);
        Future<String> holder = hold(admission);
        awaitInFlight(admission, 1);
        List<String> order = new CopyOnWriteArrayList<>();
        List<Future<String>> waiters = new java.util.ArrayList<>();
        for (String name : List.of("first", "second", "third")) {
            waiters.add(threads.submit(() -> admission.admit(() -> {
                order.add(name);
                return name;
            })));
            awaitQueued(admission, waiters.size());
        }

        release.countDown();

        holder.get(10, TimeUnit.SECONDS);
        for (Future<String> waiter : waiters) {
            waiter.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of("first", "second", "third"), order);
        assertEquals(0, admission.inFlight());
    }

    @Test
    @DisplayName("a run that waits past the queue timeout is refused with 503 and gives its place back")
    void queueTimeoutRefuses() throws Exception {
        Admission admission = new Admission(1, 10, Duration.ofMillis(100));
        Future<String> holder = hold(admission);
        awaitInFlight(admission, 1);

        ApiException refused = assertThrows(ApiException.class, () -> admission.admit(() -> "never"));

        assertTrue(refused.problem().detail().contains("within 100 ms"), refused.problem().detail());
        assertEquals(0, admission.queued());
        release.countDown();
        holder.get(10, TimeUnit.SECONDS);
    }

    private Future<String> hold(Admission admission) {
        return threads.submit(() -> admission.admit(() -> {
            release.await();
            return "held";
        }));
    }

    private static void awaitInFlight(Admission admission, int count) throws InterruptedException {
        awaitTrue(() -> admission.inFlight() == count);
    }

    private static void awaitQueued(Admission admission, int count) throws InterruptedException {
        awaitTrue(() -> admission.queued() == count);
        // queued() counts a run as it enters; give it the moment it takes to park on the semaphore
        Thread.sleep(100);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not reached within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
