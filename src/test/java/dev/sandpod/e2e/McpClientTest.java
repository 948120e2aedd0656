package dev.sandpod.e2e;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.sandpod.TestServers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An agent's view of {@code /mcp}: the MCP Java SDK's own client over streamable HTTP, and real bubblewrap jails. */
class McpClientTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static Service service;
    private static McpSyncClient client;
    private static McpSchema.InitializeResult initialized;

    @BeforeAll
    static void start() {
        service = Service.start(Map.of("SANDPOD_BACKEND", "local"), TestServers::backend);
        client = McpClient.sync(HttpClientStreamableHttpTransport.builder(service.base()).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(60))
                .build();
        initialized = client.initialize();
    }

    @AfterAll
    static void stop() {
        client.close();
        service.close();
    }

    @Test
    void initializeNamesTheServerAndOffersTools() {
        assertEquals("sandpod", initialized.serverInfo().name());
        assertNotNull(initialized.capabilities().tools());
    }

    @Test
    @DisplayName("tools/list offers run_python with code required and input, files, runtime (of the listed ones) optional")
    @SuppressWarnings("unchecked")
    void listsRunPythonWithItsSchema() {
        List<McpSchema.Tool> tools = client.listTools().tools();
        assertEquals(List.of("run_python"), tools.stream().map(McpSchema.Tool::name).toList());
        Map<String, Object> schema = tools.getFirst().inputSchema();
        assertEquals(List.of("code"), schema.get("required"));
        Map<String, Map<String, Object>> properties = (Map<String, Map<String, Object>>) schema.get("properties");
        assertEquals(List.of("code", "input", "files", "runtime"), List.copyOf(properties.keySet()));
        assertEquals("string", properties.get("code").get("type"));
        assertEquals("array", properties.get("files").get("type"));
        assertEquals(List.of("python", "python-scientific"), properties.get("runtime").get("enum")); // the shipped runtimes
    }

    @Test
    @DisplayName("run_python runs the code in a jail on its input and returns the run's JSON, as text and as structure")
    void runsPythonOnItsInput() throws Exception {
        McpSchema.CallToolResult result = run(Map.of("code", "print(input())", "input", "hello from an agent"));
        assertFalse(result.isError());
        JsonNode run = json(result);
        assertEquals("ok", run.get("status").asText());
        assertEquals("hello from an agent\n", run.get("stdout").asText());
        assertEquals(0, run.get("exitCode").asInt());
        assertEquals("local", run.get("backend").asText());
        assertEquals(run, MAPPER.valueToTree(result.structuredContent()));
    }

    @Test
    void filesLieBesideTheCode() throws Exception {
        McpSchema.CallToolResult result = run(Map.of("code", "print(open('data/n.txt').read())",
                "files", List.of(Map.of("path", "data/n.txt", "content", "42"))));
        assertEquals("42\n", json(result).get("stdout").asText());
    }

    @Test
    @DisplayName("A program that raises is a runtime_error result with its traceback, not a tool error")
    void raisingProgramIsARuntimeError() throws Exception {
        McpSchema.CallToolResult result = run(Map.of("code", "raise ValueError('no such thing')"));
        assertFalse(result.isError());
        JsonNode run = json(result);
        assertEquals("runtime_error", run.get("status").asText());
        assertEquals(1, run.get("exitCode").asInt());
        assertTrue(run.get("stderr").asText().contains("ValueError: no such thing"), run.toString());
    }

    @Test
    @DisplayName("Code over the limit is an isError result with the REST API's detail, and nothing runs")
    void codeTooLargeIsAToolError() {
        McpSchema.CallToolResult result = run(Map.of("code", "#".repeat(65_537)));
        assertTrue(result.isError());
        String text = ((McpSchema.TextContent) result.content().getFirst()).text();
        assertEquals("Payload too large (413): code is 65537 bytes, over the limit of 65536", text);
    }

    @Test
    @DisplayName("against a service with API keys the SDK's client is refused without a key and runs with one")
    void keyedServiceTakesTheKeyOnEveryRequest(@TempDir Path dir) throws Exception {
        Path keys = Files.writeString(dir.resolve("api-keys.txt"), "agent:sk-agent-0123456789abcdef\n");
        try (Service keyed = Service.start(Map.of("SANDPOD_BACKEND", "local", "SANDPOD_API_KEYS_FILE", keys.toString()),
                TestServers::backend)) {
            McpSyncClient anonymous = McpClient.sync(HttpClientStreamableHttpTransport.builder(keyed.base())
                    .endpoint("/mcp").build()).requestTimeout(Duration.ofSeconds(30)).build();
            RuntimeException refused = assertThrows(RuntimeException.class, anonymous::initialize);
            // the SDK reports a 401 as this exception, among the causes or suppressed ones of its own
            StringWriter trace = new StringWriter();
            refused.printStackTrace(new PrintWriter(trace));
            assertTrue(trace.toString().contains("McpHttpClientTransportAuthorizationException"), trace.toString());
            anonymous.closeGracefully();
            McpSyncClient agent = McpClient.sync(HttpClientStreamableHttpTransport.builder(keyed.base()).endpoint("/mcp")
                    .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer sk-agent-0123456789abcdef"))
                    .build()).requestTimeout(Duration.ofSeconds(60)).build();
            try {
                agent.initialize();
                McpSchema.CallToolResult result = agent.callTool(new McpSchema.CallToolRequest("run_python",
                        Map.of("code", "print(6 * 7)")));
                assertFalse(result.isError());
                assertEquals("42\n", json(result).get("stdout").asText());
            } finally {
                agent.closeGracefully();
            }
        }
    }

    private static McpSchema.CallToolResult run(Map<String, Object> arguments) {
        return client.callTool(new McpSchema.CallToolRequest("run_python", arguments));
    }

    private static JsonNode json(McpSchema.CallToolResult result) throws Exception {
        return MAPPER.readTree(((McpSchema.TextContent) result.content().getFirst()).text());
    }
}
