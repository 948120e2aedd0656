package dev.sandpod.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.TestServers;
import dev.sandpod.config.AppConfig;
import dev.sandpod.run.Executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The real service on a free loopback port, with the backend a test chose, and a small JSON client for it. */
public final class Service implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final WebServer server;
    private final Executor executor;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Service(WebServer server, Executor executor) {
        this.server = server;
        this.executor = executor;
    }

    /** The shipped config on an ephemeral port, with the given environment overrides, the rate limit off. */
    public static Service start(Map<String, String> env, java.util.function.Function<Config, Executor> backend) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("SERVER_PORT", "0");
        all.put("SERVER_HOST", "127.0.0.1");
        all.putIfAbsent("SANDPOD_ADMISSION_RATE_PER_SECOND", "0");
        Config config = AppConfig.load(all);
        Executor executor = backend.apply(config.get("sandpod"));
        return new Service(TestServers.start(config, executor), executor);
    }

    public Answer post(String path, Object body) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base() + path))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), MAPPER.readTree(response.body()), response.headers());
    }

    public Answer get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base() + path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), MAPPER.readTree(response.body()), response.headers());
    }

    public Answer delete(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base() + path))
                .timeout(Duration.ofSeconds(30)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), MAPPER.readTree(response.body()), response.headers());
    }

    public String base() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.stop();
        executor.close();
    }

    public record Answer(int status, JsonNode body, java.net.http.HttpHeaders headers) {
        public String text(String field) {
            return body.path(field).asText();
        }
    }
}
