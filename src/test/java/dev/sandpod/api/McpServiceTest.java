package dev.sandpod.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import io.helidon.webserver.WebServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The MCP server is built for the first {@code POST /mcp}, once, and a build that fails is a 503 that is tried again. */
class McpServiceTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @Test
    @DisplayName("Concurrent first requests wait for one build and share its server")
    void buildsOnceForConcurrentFirstRequests() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        CountDownLatch allWaiting = new CountDownLatch(1);
        McpService service = new McpService(() -> {
            builds.incrementAndGet();
            await(allWaiting);
            return new HelidonMcpTransport(new JacksonMcpJsonMapper(MAPPER), Set.of());
        });
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HelidonMcpTransport>> firsts = IntStream.range(0, 8)
                    .mapToObj(i -> threads.submit(service::transport)).toList();
            allWaiting.countDown();
            HelidonMcpTransport built = firsts.getFirst().get(10, TimeUnit.SECONDS);
            for (Future<HelidonMcpTransport> first : firsts) {
                assertSame(built, first.get(10, TimeUnit.SECONDS));
            }
        }
        assertEquals(1, builds.get());
    }

    @Test
    @DisplayName("GET and DELETE /mcp are answered without building the server")
    void refusalsOfStreamsBuildNothing() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        WebServer server = serve(() -> {
            builds.incrementAndGet();
            throw new IllegalStateException("not to be built");
        });
        try {
            for (String method : List.of("GET", "DELETE")) {
                HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(uri(server))
                        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(405, response.statusCode(), method);
            }
            assertEquals(0, builds.get());
        } finally {
            server.stop();
        }
    }

    @Test
    @DisplayName("A build that fails, a missing class too, is a 503 problem+json, and the next request builds again")
    void failedBuildIs503AndIsTriedAgain() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        WebServer server = serve(() -> {
            builds.incrementAndGet();
            throw new NoClassDefFoundError("reactor/core/publisher/Mono");
        });
        try {
            for (int attempt = 1; attempt <= 2; attempt++) {
                HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(uri(server)).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(503, response.statusCode(), response.body());
                assertEquals(ProblemHandlers.PROBLEM_JSON, response.headers().firstValue("Content-Type").orElse(""));
                JsonNode problem = MAPPER.readTree(response.body());
                assertTrue(problem.get("detail").asText().startsWith("the MCP endpoint could not be started"),
                        response.body());
                assertFalse(response.body().contains("reactor"), response.body());
                assertEquals(attempt, builds.get());
            }
        } finally {
            server.stop();
        }
    }

    private static WebServer serve(Supplier<HelidonMcpTransport> build) {
        return WebServer.builder().host("127.0.0.1").port(0)
                .routing(routing -> {
                    ProblemHandlers.register(routing);
                    routing.register(new McpService(build));
                })
                .build().start();
    }

    private static URI uri(WebServer server) {
        return URI.create("http://127.0.0.1:" + server.port() + McpService.PATH);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
