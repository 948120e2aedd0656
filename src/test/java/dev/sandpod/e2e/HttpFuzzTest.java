package dev.sandpod.e2e;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import dev.sandpod.TestServers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the service as Main starts it, on a real socket, with the real local backend: random and mutated requests to
 * {@code /} and {@code /v1/runs} (bodies, headers, content types, encodings, framing lies, methods, paths, versions),
 * sent as raw bytes. No answer is a 5xx, every refusal is problem+json, no connection hangs, no run the API let through
 * ends as internal_error, and a normal run is answered after.
 *
 * <p>The executor is the real one, so that what the parser takes is also what a jail can run (that is how unpadded
 * base64 and file paths the runner cannot create were found); the programs of valid bodies end in milliseconds, and
 * the count says how many reached it. {@code -Dsandpod.fuzz.cases=10000} (bench/run) sets the count,
 * {@code -Dsandpod.fuzz.seed} replays one, {@code -Dsandpod.fuzz.out=FILE} writes the figures as JSON. Pass them with
 * {@code -Dtest=HttpFuzzTest} alone: any other test that starts the service before this one would refuse them as
 * unknown {@code sandpod.*} keys.
 */
class HttpFuzzTest {
    /** Keeps the test under a minute on a loaded 2-core CI machine (about 40 cases/s there); bench/run sends 10,000. */
    private static final int CI_CASES = 1500;
    /** Below max-concurrent (16) with a queue behind it: no request is ever shed with a 503. */
    private static final int CLIENTS = 8;
    private static final int EXAMPLES = 10;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    // The service reads every system property and stops at a sandpod.* key it does not know (AppConfig), so the
    // fuzz takes its own settings out of the system properties before the service starts.
    private static final String CASES = take("sandpod.fuzz.cases");
    private static final String SEED = take("sandpod.fuzz.seed");
    private static final String OUT = take("sandpod.fuzz.out");

    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> kinds = new ConcurrentHashMap<>();
    private final LongAdder noAnswer = new LongAdder();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @Test
    @DisplayName("bad input never gives a 5xx: every refusal is problem+json, nothing hangs, the service still runs code")
    void badInputNeverGivesA5xx() throws Exception {
        int cases = CASES == null ? CI_CASES : Integer.parseInt(CASES);
        long seed = SEED == null ? System.nanoTime() : Long.parseLong(SEED);
        Map<String, Object> figures = new LinkedHashMap<>();
        AtomicReference<CountingExecutor> counting = new AtomicReference<>();
        try (Service service = Service.start(Map.of("SANDPOD_BACKEND", "local",
                // a host-uid range and a cgroup parent of its own, so that jail checks of parallel JVMs do not see them
                "SANDPOD_LOCAL_HOST_UID_MIN", "1930000000", "SANDPOD_LOCAL_HOST_UID_MAX", "1930065535",
                "SANDPOD_LOCAL_CGROUP_PARENT", "sandpod-fuzz"), sandpod -> {
                    counting.set(new CountingExecutor(TestServers.backend(sandpod)));
                    return counting.get();
                })) {
            int port = Integer.parseInt(service.base().substring(service.base().lastIndexOf(':') + 1));
            FuzzCases generator = new FuzzCases(seed);
            long start = System.nanoTime();
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> sent = new ArrayList<>();
                for (int i = 0; i < cases; i++) {
                    FuzzCases.Case fuzz = generator.next();
                    sent.add(clients.submit(() -> check(port, fuzz)));
                }
                for (Future<?> future : sent) {
                    future.get();
                }
            }
            figures.put("cases", cases);
            figures.put("seed", seed);
            figures.put("seconds", Math.round((System.nanoTime() - start) / 1e7) / 100.0);
            figures.put("statuses", counts(statuses));
            figures.put("fiveXx", statuses.entrySet().stream().filter(e -> e.getKey() >= 500)
                    .mapToLong(e -> e.getValue().sum()).sum());
            figures.put("failures", failures.size());
            figures.put("closedWithoutAnswer", noAnswer.sum());
            figures.put("kinds", counts(kinds));
            figures.put("reachedExecutor", counting.get().runs());
            figures.put("runStatuses", counting.get().statuses());

            Service.Answer after = service.post("/v1/runs", Map.of("code", "print(input()[::-1])", "input", "olleh"));
            figures.put("answersAfter", after.status());
            write(figures);
            assertEquals(200, after.status(), after.body().toString());
            assertEquals("hello\n", after.text("stdout"));
            assertEquals(200, service.get("/health/ready").status());
        }
        assertEquals(List.of(), List.copyOf(failures), () -> failures.size() + " failures (seed " + seed + ")");
        assertEquals(0L, figures.get("fiveXx"));
        assertEquals(null, counting.get().statuses().get("internal_error"), figures::toString);
        assertTrue(counting.get().runs() > cases / 20, () -> "too few runs reached the executor: " + figures);
    }

    private void check(int port, FuzzCases.Case fuzz) {
        kinds.computeIfAbsent(fuzz.kind(), kind -> new LongAdder()).increment();
        List<RawHttp.Response> answers;
        try {
            answers = RawHttp.exchange(port, fuzz.bytes(), Duration.ofSeconds(30));
        } catch (Exception e) {
            fail(fuzz, e.toString());
            return;
        }
        if (answers.isEmpty()) {
            noAnswer.increment();
        }
        for (RawHttp.Response answer : answers) {
            statuses.computeIfAbsent(answer.status(), status -> new LongAdder()).increment();
            String problem = problem(answer);
            if (problem != null) {
                fail(fuzz, answer.status() + " " + answer.contentType() + ": " + problem);
            }
        }
    }

    /** What is wrong with an answer, or null: a 5xx, or a refusal that is not a problem+json of its own status. */
    private static String problem(RawHttp.Response answer) {
        if (answer.status() >= 500) {
            return "a 5xx: " + shortened(answer.text());
        }
        if (answer.status() < 400 || finishedRun(answer)) {
            return null;
        }
        if (!answer.contentType().equals("application/problem+json")) {
            return "a refusal that is no problem+json: " + shortened(answer.text());
        }
        if (answer.body().length == 0) {
            return null; // the answer to a HEAD carries no body
        }
        try {
            JsonNode body = MAPPER.readTree(answer.body());
            return body.path("status").asInt() == answer.status() && body.hasNonNull("detail") ? null
                    : "a problem without its status and detail: " + shortened(answer.text());
        } catch (Exception e) {
            return "a problem that is no JSON: " + shortened(answer.text());
        }
    }

    /** The seed's POST / answers a run that timed out with 408 and the run's JSON: a result, not a refusal. */
    private static boolean finishedRun(RawHttp.Response answer) {
        return answer.status() == 408 && answer.contentType().equals("application/json")
                && answer.text().contains("\"status\":\"timeout\"");
    }

    private void fail(FuzzCases.Case fuzz, String what) {
        if (failures.size() < EXAMPLES) {
            failures.add(fuzz.kind() + ": " + what + "\n  request: "
                    + shortened(new String(fuzz.bytes(), StandardCharsets.ISO_8859_1)));
        } else {
            failures.add(fuzz.kind());
        }
    }

    private static String shortened(String text) {
        String oneLine = text.replace("\r\n", "\\r\\n");
        return oneLine.length() <= 300 ? oneLine : oneLine.substring(0, 300) + "…";
    }

    private static <K extends Comparable<K>> Map<K, Long> counts(Map<K, LongAdder> adders) {
        Map<K, Long> counts = new TreeMap<>();
        adders.forEach((key, count) -> counts.put(key, count.sum()));
        return counts;
    }

    private static String take(String property) {
        String value = System.getProperty(property);
        System.clearProperty(property);
        return value;
    }

    private static void write(Map<String, Object> figures) throws Exception {
        String json = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(figures);
        System.out.println(json);
        if (OUT != null) {
            Path file = Path.of(OUT);
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, json);
        }
    }
}
