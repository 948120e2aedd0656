package dev.sandpod.reliability;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Cold starts of the packaged service exactly as {@code bin/start} runs it, with the default configuration (the local
 * backend, its warm pool on), pinned to one CPU and to two: every start must answer {@code /health/ready} and a run
 * within {@link #ANSWER_WITHIN} of the process start. A start that does not is dumped ({@code jcmd Thread.dump_to_file})
 * before it is killed, and the failure names the dump.
 *
 * <p>{@code -Dsandpod.startup.starts=N} sets the starts per CPU count (10 by default; {@code bench/run} asks for 50) and
 * {@code -Dsandpod.startup.out=FILE} writes the figures as JSON.
 */
class StartupIT {
    private static final int STARTS = Integer.getInteger("sandpod.startup.starts", 10);
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final String HELLO = "{\"code\": \"print('started')\"}";
    /**
     * The JDK may add carriers while a virtual thread is stuck in a native call, and may not; here it may not. A start
     * answers only when nothing that blocks for long (a jail's pipes) runs on a virtual thread. The service before this
     * test answered nothing at all this way: its first pooled jail's pipe read held the only carrier.
     */
    private static final String ONE_FIXED_CARRIER = "-Djdk.virtualThreadScheduler.parallelism=1"
            + " -Djdk.virtualThreadScheduler.maxPoolSize=1";

    @Test
    @DisplayName("Every cold start pinned to one CPU answers ready and a run within 10 s")
    void everyStartOnOneCpuAnswers() throws Exception {
        record("1cpu", startsAnswer("1cpu", "0", "", STARTS));
    }

    @Test
    @DisplayName("Every cold start pinned to two CPUs answers ready and a run within 10 s")
    void everyStartOnTwoCpusAnswers() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two CPUs");
        record("2cpu", startsAnswer("2cpu", "0,1", "", STARTS));
    }

    @Test
    @DisplayName("A start whose virtual threads have one carrier that can never be compensated still answers")
    void startsWithOneCarrierThatCannotGrow() throws Exception {
        record("1carrier", startsAnswer("1carrier", null, ONE_FIXED_CARRIER, Math.max(3, STARTS / 5)));
    }

    /**
     * Starts it {@code starts} times in a row and records each start's time from process start to an answered run. Every
     * start is tried, so that the figures count them all; the test then fails with each start that did not answer.
     */
    private static Starts startsAnswer(String label, String cpus, String javaOpts, int starts) throws Exception {
        List<Long> answeredMs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int i = 1; i <= starts; i++) {
            ServiceProcess.Options options = ServiceProcess.Options.defaults().pinnedTo(cpus).withJavaOpts(javaOpts);
            try (ServiceProcess service = ServiceProcess.start("startup-" + label + "-" + i, options)) {
                try {
                    answeredMs.add(answered(service, i, starts));
                } catch (AssertionError e) {
                    failures.add(e.getMessage());
                }
                if (service.terminate(Duration.ofSeconds(30)).isEmpty()) {
                    failures.add(service + " did not stop within 30 s of SIGTERM");
                }
            }
        }
        return new Starts(starts, answeredMs, failures);
    }

    /** What a series of starts gave. */
    private record Starts(int tried, List<Long> answeredMs, List<String> failures) {
    }

    private static long answered(ServiceProcess service, int start, int starts) throws Exception {
        String which = "start " + start + "/" + starts + " of " + service;
        if (service.awaitPort(ANSWER_WITHIN).isEmpty()) {
            fail(which + " did not listen within " + ANSWER_WITHIN + hung(service));
        }
        HttpResponse<String> ready = untilReady(service);
        if (ready == null || ready.statusCode() != 200) {
            fail(which + " was not ready within " + ANSWER_WITHIN + ": " + (ready == null ? "no answer" : ready.body())
                    + hung(service));
        }
        HttpResponse<String> run;
        try {
            run = service.postJson("/v1/runs", HELLO, REQUEST_TIMEOUT);
        } catch (IOException e) {
            run = null;
        }
        if (run == null) {
            fail(which + " did not answer a run within " + REQUEST_TIMEOUT + hung(service));
        }
        assertEquals(200, run.statusCode(), which + ": " + run.body());
        assertTrue(run.body().contains("\"stdout\":\"started\\n\""), which + ": " + run.body());
        long ms = service.age().toMillis();
        assertTrue(ms <= ANSWER_WITHIN.toMillis(), which + " answered its first run only after " + ms + " ms");
        return ms;
    }

    /** Polls ready until it answers 200 or the start's time is up; the last answer, or null when none came. */
    private static HttpResponse<String> untilReady(ServiceProcess service) throws InterruptedException {
        HttpResponse<String> last = null;
        while (service.age().compareTo(ANSWER_WITHIN) < 0) {
            try {
                last = service.get("/health/ready", REQUEST_TIMEOUT);
                if (last.statusCode() == 200) {
                    return last;
                }
            } catch (IOException noAnswer) {
                // not yet: a start that never answers ends the loop at its deadline
            }
            Thread.sleep(50);
        }
        return last;
    }

    private static String hung(ServiceProcess service) throws IOException, InterruptedException {
        if (!service.alive()) {
            return "; it exited; log " + service.log();
        }
        return "; thread dump " + service.threadDump("hung") + ", log " + service.log();
    }

    /** Writes the figures when asked to, then fails with every start that did not answer. */
    private static void record(String label, Starts starts) throws IOException {
        String out = System.getProperty("sandpod.startup.out");
        if (out != null) {
            List<Long> sorted = starts.answeredMs().stream().sorted().toList();
            String line = String.format("{\"series\": \"%s\", \"tried\": %d, \"answered\": %d, \"medianMs\": %d,"
                    + " \"maxMs\": %d}%n", label, starts.tried(), sorted.size(),
                    sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2), sorted.isEmpty() ? -1 : sorted.getLast());
            Files.writeString(Path.of(out), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        assertTrue(starts.failures().isEmpty(), (starts.tried() - starts.answeredMs().size()) + " of " + starts.tried()
                + " starts did not answer:\n" + String.join("\n", starts.failures()));
    }
}
