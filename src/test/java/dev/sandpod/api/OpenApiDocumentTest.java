package dev.sandpod.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import dev.sandpod.run.Status;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The document served at {@code /openapi} describes the routes, fields, bounds and statuses the code has. */
class OpenApiDocumentTest {
    private static final Config CONFIG = AppConfig.load(Map.of("SERVER_PORT", "0", "SERVER_HOST", "127.0.0.1"));
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static WebServer server;
    private static Map<String, Object> document;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void fetchDocument() throws Exception {
        server = TestServers.start(CONFIG, new RecordingExecutor());
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(uri("/openapi"))
                .header("Accept", "application/yaml").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        document = new Yaml().load(response.body());
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Test
    void everyDocumentedOperationIsRouted() throws Exception {
        Map<String, Map<String, Object>> paths = map(document, "paths");
        assertEquals(Set.of("/v1/runs", "/v1/runs/{id}", "/v1/runs/{id}/events", "/v1/runtimes", "/", "/mcp",
                "/health/live", "/health/ready", "/metrics"), paths.keySet());
        for (var path : paths.entrySet()) {
            for (String method : path.getValue().keySet()) {
                if (method.equals("parameters")) {
                    continue;
                }
                // a malformed id: the route answers 400, where an unknown one would be 404 like a routing miss
                HttpRequest.Builder request = HttpRequest.newBuilder(uri(path.getKey().replace("{id}", "not-an-id")));
                request = switch (method) {
                    case "post" -> request.header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{}"));
                    case "delete" -> request.DELETE();
                    default -> request.GET();
                };
                int status = CLIENT.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                assertNotEquals(404, status, method + " " + path.getKey());
                assertNotEquals(405, status, method + " " + path.getKey());
            }
        }
    }

    @Test
    void requestFieldsAreTheParsersFields() {
        Map<String, Object> properties = map(schema("RunRequest"), "properties");
        assertEquals(new TreeSet<>(RunRequestParser.FIELDS), new TreeSet<>(properties.keySet()));
    }

    @Test
    void documentedBoundsAreTheConfiguredOnes() {
        Config limits = CONFIG.get("sandpod.limits");
        Map<String, Object> properties = map(schema("RunRequest"), "properties");
        assertEquals(limits.get("max-timeout-ms").asInt().get(), map(properties, "timeoutMs").get("maximum"));
        assertEquals(limits.get("default-timeout-ms").asInt().get(), map(properties, "timeoutMs").get("default"));
        assertEquals(limits.get("min-memory-mb").asInt().get(), map(properties, "memoryMb").get("minimum"));
        assertEquals(limits.get("max-memory-mb").asInt().get(), map(properties, "memoryMb").get("maximum"));
        assertEquals(limits.get("default-memory-mb").asInt().get(), map(properties, "memoryMb").get("default"));
        assertEquals(limits.get("max-args").asInt().get(), map(properties, "args").get("maxItems"));
        assertEquals(limits.get("max-files").asInt().get(), map(properties, "files").get("maxItems"));
        assertEquals(limits.get("max-tests").asInt().get(), map(properties, "tests").get("maxItems"));
        Map<String, Object> result = map(schema("RunResult"), "properties");
        assertEquals(limits.get("max-output-files").asInt().get(), map(result, "files").get("maxItems"));
    }

    @Test
    void statusesAreTheDomainStatuses() {
        assertEquals(Arrays.stream(Status.values()).map(Status::wireName).toList(), schema("Status").get("enum"));
    }

    private static Map<String, Object> schema(String name) {
        return map(map(map(document, "components"), "schemas"), name);
    }

    @SuppressWarnings("unchecked")
    private static <T> Map<String, T> map(Map<String, ?> parent, String key) {
        Object child = parent.get(key);
        assertTrue(child instanceof Map, key + " is not a mapping");
        return (Map<String, T>) child;
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
