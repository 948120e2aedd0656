package dev.sandpod.api;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import reactor.core.publisher.Mono;

/**
 * MCP's streamable HTTP transport in its stateless form, on Helidon SE: each {@code POST /mcp} carries one JSON-RPC
 * message and gets the answer to it in the same response, as JSON. No session is kept and no SSE stream is opened, so
 * any replica can answer any message.
 *
 * <p>What the client sent wrong is answered with a 4xx and a JSON-RPC error without an id, as the transport's spec
 * allows, so that an MCP client reads the reason: a body that is no JSON (400, parse error), no JSON-RPC message
 * (400, invalid request), a Content-Type other than JSON (415), an Accept that does not take both JSON and SSE (406),
 * an MCP-Protocol-Version this server does not speak (400), an Origin the operator has not allowed (403).
 *
 * <p>The Origin check is the MCP spec's guard against DNS rebinding: a web page whose name an attacker has pointed at
 * a service inside a network would otherwise drive the tool from a visitor's browser. Agents are no browsers and send
 * no Origin; a browser always does, and it is refused unless its origin is listed in {@code sandpod.mcp.allowed-origins}.
 * Comparing the Origin with the Host header would not do: after a rebinding both name the attacker's host.
 */
final class HelidonMcpTransport implements McpStatelessServerTransport {
    /** Where a tool finds the HTTP request that called it, for admission to key its rate limit as on REST. */
    static final String HTTP_REQUEST = "sandpod.http-request";
    private static final HeaderName PROTOCOL_VERSION = HeaderNames.create("MCP-Protocol-Version");
    private static final HeaderName ORIGIN = HeaderNames.create("Origin");
    private static final int PARSE_ERROR = -32700;
    private static final int INVALID_REQUEST = -32600;

    private final McpJsonMapper mapper;
    private final Set<String> allowedOrigins;
    private volatile McpStatelessServerHandler handler;

    HelidonMcpTransport(McpJsonMapper mapper, Set<String> allowedOrigins) {
        this.mapper = mapper;
        this.allowedOrigins = Set.copyOf(allowedOrigins);
    }

    /** A transport with its stateless server built, serving the one tool {@code run_python}. */
    static HelidonMcpTransport serving(RunPythonTool tool, Set<String> origins) {
        McpJsonMapper mapper = new JacksonMcpJsonMapper(new ObjectMapper());
        HelidonMcpTransport transport = new HelidonMcpTransport(mapper, origins);
        // building the server hands its handler to the transport, which is all that a request needs of it
        McpServer.sync(transport)
                .serverInfo("sandpod", "0.1.0")
                .jsonMapper(mapper)
                // a tool blocks for its whole run: on Helidon's virtual thread, not on Reactor's bounded pool, which
                // would cap runs at ten per core and queue the rest out of admission's sight
                .immediateExecution(true)
                // the parser is the one judge of arguments, so that a refusal reads as on POST /v1/runs
                .validateToolInputs(false)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .tools(tool.specification())
                .build();
        return transport;
    }

    @Override
    public void setMcpHandler(McpStatelessServerHandler handler) {
        this.handler = handler;
    }

    @Override
    public Mono<Void> closeGracefully() {
        // nothing outlives a request: no session, no stream to end
        return Mono.empty();
    }

    /** Answers one {@code POST /mcp}: its message handed to the server, or the reason it was not. */
    void post(ServerRequest req, ServerResponse res) throws IOException {
        McpSchema.JSONRPCMessage message;
        try {
            message = read(req);
        } catch (Refusal refusal) {
            refuse(res, refusal);
            return;
        }
        McpTransportContext context = McpTransportContext.create(Map.of(HTTP_REQUEST, req));
        if (message instanceof McpSchema.JSONRPCRequest request) {
            McpSchema.JSONRPCResponse response = handler.handleRequest(context, request)
                    .contextWrite(ctx -> ctx.put(McpTransportContext.KEY, context))
                    .block();
            res.status(Status.OK_200);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(mapper.writeValueAsBytes(response));
            return;
        }
        if (message instanceof McpSchema.JSONRPCNotification notification) {
            handler.handleNotification(context, notification)
                    .contextWrite(ctx -> ctx.put(McpTransportContext.KEY, context))
                    .block();
        }
        // a response is taken and dropped: a stateless server never asks the client anything, so none is awaited
        res.status(Status.ACCEPTED_202).send();
    }

    private McpSchema.JSONRPCMessage read(ServerRequest req) throws Refusal {
        requireAllowedOrigin(req);
        requireAccept(req);
        requireProtocolVersion(req);
        byte[] bytes;
        try {
            bytes = JsonBody.read(req);
        } catch (ApiException e) {
            throw new Refusal(e.problem().status(), INVALID_REQUEST, e.problem().detail());
        }
        JsonNode body;
        try {
            body = Json.read(bytes);
        } catch (ApiException e) {
            throw new Refusal(e.problem().status(), PARSE_ERROR, e.problem().detail());
        }
        if (!body.isObject() || !"2.0".equals(body.path("jsonrpc").textValue())) {
            throw new Refusal(400, INVALID_REQUEST, "send one JSON-RPC 2.0 message: an object with \"jsonrpc\": \"2.0\"");
        }
        try {
            return McpSchema.deserializeJsonRpcMessage(mapper, body.toString());
        } catch (IOException | IllegalArgumentException e) {
            throw new Refusal(400, INVALID_REQUEST, "the body is no JSON-RPC request, notification or response: a request"
                    + " has an id and a method, a notification a method alone, a response an id and a result or error");
        }
    }

    private void requireAllowedOrigin(ServerRequest req) throws Refusal {
        Optional<String> origin = req.headers().first(ORIGIN);
        if (origin.isPresent() && !allowedOrigins.contains(origin.get().strip().toLowerCase(Locale.ROOT))) {
            throw new Refusal(403, INVALID_REQUEST, "requests from the web origin " + Shown.text(origin.get())
                    + " are not allowed: the operator lists the origins that may call /mcp in sandpod.mcp.allowed-origins");
        }
    }

    /** The client must list both JSON and SSE: it cannot know beforehand which of the two a server answers with. */
    private static void requireAccept(ServerRequest req) throws Refusal {
        List<HttpMediaType> accepted;
        try {
            accepted = req.headers().acceptedTypes();
        } catch (RuntimeException e) {
            // Helidon's parser throws for a malformed value, as for Content-Type in JsonBody
            throw new Refusal(400, INVALID_REQUEST, "the Accept header is not a list of media types");
        }
        boolean json = accepted.stream().anyMatch(type -> type.test(MediaTypes.APPLICATION_JSON));
        boolean sse = accepted.stream().anyMatch(type -> type.test(MediaTypes.TEXT_EVENT_STREAM));
        if (!json || !sse) {
            throw new Refusal(406, INVALID_REQUEST, "send Accept: application/json, text/event-stream");
        }
    }

    /** A missing header is taken, as the spec allows for clients older than the header; an unknown one is not. */
    private void requireProtocolVersion(ServerRequest req) throws Refusal {
        Optional<String> version = req.headers().first(PROTOCOL_VERSION);
        if (version.isPresent() && !protocolVersions().contains(version.get())) {
            throw new Refusal(400, INVALID_REQUEST, "MCP-Protocol-Version " + Shown.text(version.get())
                    + " is not one this server speaks: " + protocolVersions());
        }
    }

    private static void refuse(ServerResponse res, Refusal refusal) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", refusal.code);
        error.put("message", refusal.getMessage());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jsonrpc", "2.0");
        body.put("id", null);
        body.put("error", error);
        res.status(Status.create(refusal.status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.write(body));
    }

    /** A message this transport will not hand to the server, with the HTTP status and JSON-RPC code to refuse it by. */
    private static final class Refusal extends Exception {
        private final int status;
        private final int code;

        Refusal(int status, int code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }
}
