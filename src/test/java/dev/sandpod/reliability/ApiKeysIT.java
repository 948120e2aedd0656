package dev.sandpod.reliability;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged service as {@code bin/serve} starts it, with {@code SANDPOD_API_KEYS_FILE} set: runs of real Python in
 * the local jail need a key, probes and the page do not, a rotated key file takes effect without a restart, and the
 * access log and the metrics name the key's id and never the key.
 */
class ApiKeysIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String ALICE = "sk-alice-5b0e8d1f2c3a4e6b";
    private static final String BOB = "sk-bob-9a7c6e5d4b3f2a1c";
    private static final String ECHO = "{\"code\": \"print(input())\", \"input\": \"keyed\"}";

    @TempDir
    Path dir;

    @Test
    @DisplayName("keys guard the runs of the packaged service, not its probes; a rotated file takes effect at once")
    void keysGuardRunsAndRotate() throws Exception {
        Path keys = Files.writeString(dir.resolve("api-keys.txt"), "alice:" + ALICE + "\n");
        ServiceProcess.Options options = ServiceProcess.Options.defaults().withEnv(Map.of(
                "SANDPOD_API_KEYS_FILE", keys.toString(), "SANDPOD_API_KEYS_RELOAD_INTERVAL_MS", "100"));
        try (ServiceProcess service = ServiceProcess.start("api-keys", options)) {
            assertTrue(service.awaitPort(Duration.ofSeconds(60)).isPresent(), service + " did not start");
            for (String open : List.of("/health/live", "/health/ready", "/", "/metrics", "/openapi")) {
                assertEquals(200, service.get(open, TIMEOUT).statusCode(), open + " needs no key");
            }
            HttpResponse<String> refused = service.postJson("/v1/runs", ECHO, TIMEOUT);
            assertEquals(401, refused.statusCode(), refused.body());
            assertEquals(401, service.postJson("/", ECHO, TIMEOUT).statusCode());

            HttpResponse<String> ran = service.postJson("/v1/runs", ECHO, TIMEOUT, Map.of("Authorization", "Bearer " + ALICE));
            assertEquals(200, ran.statusCode(), ran.body());
            JsonNode result = MAPPER.readTree(ran.body());
            assertEquals("ok", result.get("status").asText(), ran.body());
            assertEquals("keyed\n", result.get("stdout").asText());
            assertEquals("40", ran.headers().firstValue("RateLimit-Limit").orElseThrow());

            // rotate as a Secret volume does: a new file renamed over the old one
            Path next = Files.writeString(dir.resolve("api-keys.next"), "bob:" + BOB + "\n");
            Files.move(next, keys, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (service.postJson("/v1/runs", ECHO, TIMEOUT, Map.of("X-API-Key", ALICE)).statusCode() != 401
                    && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertEquals(401, service.postJson("/v1/runs", ECHO, TIMEOUT, Map.of("X-API-Key", ALICE)).statusCode());
            assertEquals(200, service.postJson("/v1/runs", ECHO, TIMEOUT, Map.of("X-API-Key", BOB)).statusCode());

            String metrics = service.get("/metrics", TIMEOUT).body();
            assertTrue(metrics.lines().anyMatch(line -> line.startsWith("sandpod_key_runs_total{")
                    && line.contains("key=\"alice\"") && line.contains("status=\"ok\"") && !line.endsWith(" 0.0")), metrics);
            assertTrue(metrics.lines().anyMatch(line -> line.startsWith("sandpod_auth_refusals_total{")
                    && line.contains("reason=\"missing\"")), metrics);

            String log = service.logText();
            assertFalse(log.contains(ALICE) || log.contains(BOB), "a key reached the log");
            List<JsonNode> runs = log.lines().filter(line -> line.startsWith("{") && line.contains("\"/v1/runs\""))
                    .map(ApiKeysIT::json).toList();
            assertTrue(runs.stream().anyMatch(line -> line.get("key").asText().equals("alice")
                    && line.get("status").asInt() == 200 && line.get("runStatus").asText().equals("ok")), log);
            assertTrue(runs.stream().anyMatch(line -> line.get("key").isNull() && line.get("status").asInt() == 401), log);
            assertTrue(log.lines().anyMatch(line -> line.startsWith("{") && line.contains("\"path\":\"/health/ready\"")),
                    "a route of a feature is logged with its whole path: " + log);
        }
    }

    private static JsonNode json(String line) {
        try {
            return MAPPER.readTree(line);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("an access line that is no JSON: " + line, e);
        }
    }
}
