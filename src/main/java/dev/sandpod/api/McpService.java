package dev.sandpod.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import io.helidon.config.Config;
import io.helidon.webserver.http.HttpService;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.spec.McpSchema;

/** The MCP endpoint: a stateless MCP server with the one tool {@code run_python}, served at {@code /mcp}. */
final class McpService {
    private McpService() {
    }

    /** {@code mcp} is the {@code sandpod.mcp} configuration: the web origins allowed to call the endpoint. */
    static HttpService create(RunRequestParser parser, RunGate gate, Config mcp) {
        McpJsonMapper mapper = new JacksonMcpJsonMapper(new ObjectMapper());
        Set<String> origins = Arrays.stream(mcp.get("allowed-origins").asString().orElse("").split(","))
                .map(origin -> origin.strip().toLowerCase(Locale.ROOT)).filter(origin -> !origin.isEmpty())
                .collect(Collectors.toSet());
        HelidonMcpTransport transport = new HelidonMcpTransport(mapper, origins);
        // building the server hands its handler to the transport, which is all that routing needs of it
        McpServer.sync(transport)
                .serverInfo("sandpod", "0.1.0")
                .jsonMapper(mapper)
                // a tool blocks for its whole run: on Helidon's virtual thread, not on Reactor's bounded pool, which
                // would cap runs at ten per core and queue the rest out of admission's sight
                .immediateExecution(true)
                // the parser is the one judge of arguments, so that a refusal reads as on POST /v1/runs
                .validateToolInputs(false)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .tools(new RunPythonTool(parser, gate).specification())
                .build();
        return transport;
    }
}
