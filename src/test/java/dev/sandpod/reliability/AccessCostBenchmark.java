package dev.sandpod.reliability;

import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.webserver.WebServer;

import dev.sandpod.api.ApiRouting;
import dev.sandpod.run.Executor;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What API keys and rate limits cost a request, and whether a wrong key can be told from an unknown one by its time.
 * Off unless asked for: {@code mvn -B -q test -Dtest=AccessCostBenchmark -Daccess.bench=true
 * [-Daccess.bench.out=bench/out/access-cost.json]}.
 *
 * <p>Three servers of the API's own routing in this JVM, over an executor that answers at once, so that the run
 * itself adds nothing: keys and limits off; 100 keys and both token buckets on (high enough never to refuse); and the
 * same with the JSON access log written (to /dev/null). One keep-alive connection each, requests in alternating rounds,
 * so that the machine's drift spreads over all three alike. Latency is the client's, from write to the last byte.
 */
@EnabledIfSystemProperty(named = "access.bench", matches = "true")
class AccessCostBenchmark {
    private static final String RUN = "{\"code\": \"pass\"}";
    private static final int WARM_UP = 5_000;
    private static final int ROUNDS = 40;
    private static final int PER_ROUND = 500;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void costOfKeysAndLimits() throws Exception {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            file.append("key-").append(i).append(":sk-").append(String.format("%032x", i * 7919L + 17)).append('\n');
        }
        Path keys = Files.writeString(dir.resolve("keys"), file);
        String realKey = "sk-" + String.format("%032x", 99 * 7919L + 17);
        Map<String, String> guarded = Map.of("sandpod.api-keys.file", keys.toString(),
                "sandpod.admission.rate-per-second", "1000000", "sandpod.admission.burst", "1000000",
                "sandpod.admission.address-rate-per-second", "1000000", "sandpod.admission.address-burst", "1000000");
        Map<String, String> logged = new HashMap<>(guarded);
        logged.put("sandpod.access-log.format", "json");
        PrintStream stdout = System.out;
        // the access log goes to standard output, which a container runtime reads from a pipe: here a write to
        // /dev/null per line, and not into the test runner's capture
        System.setOut(new PrintStream(new FileOutputStream("/dev/null"), true));
        List<WebServer> servers = List.of(start(Map.of()), start(guarded), start(logged));
        try {
            Map<String, String> bearer = Map.of("Authorization", "Bearer " + realKey);
            List<KeepAliveConnection> runs = List.of(connect(servers.get(0), Map.of()), connect(servers.get(1), bearer),
                    connect(servers.get(2), bearer));
            List<List<Long>> runNanos = alternate(runs, 200);
            String nearMiss = realKey.substring(0, realKey.length() - 1) + (realKey.endsWith("0") ? "1" : "0");
            List<KeepAliveConnection> refusals = List.of(
                    connect(servers.get(1), Map.of("Authorization", "Bearer sk-" + "f".repeat(32))),
                    connect(servers.get(1), Map.of("Authorization", "Bearer " + nearMiss)));
            List<List<Long>> refusalNanos = alternate(refusals, 401);

            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("requestsEach", ROUNDS * PER_ROUND);
            figures.put("plain", summary(runNanos.get(0)));
            figures.put("keysAndLimits", summary(runNanos.get(1)));
            figures.put("keysLimitsAndAccessLog", summary(runNanos.get(2)));
            figures.put("p50CostOfKeysAndLimitsUs", (median(runNanos.get(1)) - median(runNanos.get(0))) / 1000.0);
            figures.put("p50CostOfAccessLogUs", (median(runNanos.get(2)) - median(runNanos.get(1))) / 1000.0);
            figures.put("ratioKeysAndLimits", ratio(runNanos.get(1), runNanos.get(0)));
            figures.put("unknownKey401", summary(refusalNanos.get(0)));
            figures.put("nearMissKey401", summary(refusalNanos.get(1)));
            figures.put("p50NearMissMinusUnknownUs", (median(refusalNanos.get(1)) - median(refusalNanos.get(0))) / 1000.0);
            String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(figures);
            stdout.println(json);
            String out = System.getProperty("access.bench.out");
            if (out != null) {
                Files.writeString(Path.of(out), json + "\n");
            }
        } finally {
            servers.forEach(WebServer::stop);
            System.setOut(stdout);
        }
    }

    /** Warms every connection up, then sends PER_ROUND requests on each in turn, ROUNDS times; nanoseconds each. */
    private static List<List<Long>> alternate(List<KeepAliveConnection> connections, int expected) throws Exception {
        for (KeepAliveConnection connection : connections) {
            for (int i = 0; i < WARM_UP; i++) {
                assertEquals(expected, connection.send().status());
            }
        }
        List<List<Long>> nanos = new ArrayList<>();
        connections.forEach(any -> nanos.add(new ArrayList<>()));
        for (int round = 0; round < ROUNDS; round++) {
            for (int c = 0; c < connections.size(); c++) {
                for (int i = 0; i < PER_ROUND; i++) {
                    long started = System.nanoTime();
                    assertEquals(expected, connections.get(c).send().status());
                    nanos.get(c).add(System.nanoTime() - started);
                }
            }
        }
        connections.forEach(KeepAliveConnection::close);
        return nanos;
    }

    private static Map<String, Object> summary(List<Long> nanos) {
        List<Long> sorted = nanos.stream().sorted().toList();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("p50Us", sorted.get(sorted.size() / 2) / 1000.0);
        summary.put("p99Us", sorted.get((int) (sorted.size() * 0.99)) / 1000.0);
        return summary;
    }

    private static long median(List<Long> nanos) {
        return nanos.stream().sorted().toList().get(nanos.size() / 2);
    }

    private static double ratio(List<Long> measured, List<Long> baseline) {
        return Math.round(100.0 * median(measured) / median(baseline)) / 100.0;
    }

    private static KeepAliveConnection connect(WebServer server, Map<String, String> headers) {
        return new KeepAliveConnection(new InetSocketAddress("127.0.0.1", server.port()), "/v1/runs", RUN, headers,
                TIMEOUT);
    }

    private static WebServer start(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(Map.of("sandpod.admission.rate-per-second", "0",
                "sandpod.access-log.format", "off"));
        all.putAll(overrides);
        Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(all)).addSource(ConfigSources.classpath("application.yaml")).build();
        return WebServer.builder().host("127.0.0.1").port(0)
                .routing(routing -> ApiRouting.routing(routing, config.get("sandpod"), new InstantExecutor()))
                .build().start();
    }

    /** Answers every run at once with the same result: the benchmark measures the HTTP layer alone. */
    private static final class InstantExecutor implements Executor {
        @Override
        public RunResult run(RunRequest request, RunId id) {
            return new RunResult(id.value(), Status.OK, 0, null, "", "", "", false, 0, 0, 0, "instant", null, List.of(),
                    null, List.of(), false);
        }

        @Override
        public String name() {
            return "instant";
        }

        @Override
        public String unreadyReason() {
            return null;
        }

        @Override
        public void close() {
        }
    }
}
