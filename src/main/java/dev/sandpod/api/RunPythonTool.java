package dev.sandpod.api;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.helidon.webserver.http.ServerRequest;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.JobTooLargeException;
import dev.sandpod.run.PythonRuntime;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;

/**
 * The MCP tool {@code run_python}: one run, made as {@code POST /v1/runs} makes it, through the same parser, admission
 * and executor, so that limits, rate limits and the filters on every route apply to agents as to REST clients.
 *
 * <p>A run that happened is a result whatever the program did (a traceback is status {@code runtime_error}, not a
 * failure of the tool); a run the service refused (an invalid argument, a full queue, a rate limit) is a result with
 * {@code isError}, in the words the REST API would have sent, so that the agent can read it and correct itself.
 */
final class RunPythonTool {
    static final String NAME = "run_python";
    private static final Set<String> ARGUMENTS = Set.of("code", "input", "files", "runtime");
    private static final System.Logger LOG = System.getLogger(RunPythonTool.class.getName());

    private final RunRequestParser parser;
    private final RunGate gate;

    RunPythonTool(RunRequestParser parser, RunGate gate) {
        this.parser = parser;
        this.gate = gate;
    }

    McpStatelessServerFeatures.SyncToolSpecification specification() {
        McpSchema.Tool tool = McpSchema.Tool.builder()
                .name(NAME)
                .title("Run Python")
                .description("Runs Python 3 code in a fresh, single-use sandbox without network and returns its status,"
                        + " exit code, stdout and stderr as JSON. The code is main.py in the working directory.")
                .inputSchema(inputSchema())
                .build();
        return new McpStatelessServerFeatures.SyncToolSpecification(tool, this::call);
    }

    McpSchema.CallToolResult call(McpTransportContext context, McpSchema.CallToolRequest call) {
        try {
            Map<String, Object> arguments = restBody(call.arguments() == null ? Map.of() : call.arguments());
            RunRequest request = parser.parse(Json.tree(arguments), true);
            RunResult result = gate.run((ServerRequest) context.get(HelidonMcpTransport.HTTP_REQUEST), request);
            Map<String, Object> body = Json.result(result, request);
            return McpSchema.CallToolResult.builder()
                    .addTextContent(new String(Json.write(body), StandardCharsets.UTF_8))
                    .structuredContent(body)
                    .isError(false)
                    .build();
        } catch (ApiException e) {
            return refused(e);
        } catch (JobTooLargeException e) {
            return refused(ApiException.tooLarge(e.getMessage()));
        } catch (BackendUnavailableException e) {
            LOG.log(Level.WARNING, "backend unavailable: " + e.getMessage(), e.getCause());
            return refused(ApiException.saturated(e.getMessage(), e.retryAfter()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw internal(e);
        } catch (Exception e) {
            throw internal(e);
        }
    }

    /** The tool's arguments as the body of {@code POST /v1/runs}, which has the same fields. */
    private static Map<String, Object> restBody(Map<String, Object> arguments) {
        Set<String> unknown = new TreeSet<>(arguments.keySet());
        unknown.removeAll(ARGUMENTS);
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("unknown arguments " + unknown.stream().limit(5).map(Shown::text).toList()
                    + "; " + NAME + " takes " + new TreeSet<>(ARGUMENTS));
        }
        return arguments;
    }

    private static McpSchema.CallToolResult refused(ApiException e) {
        Problem problem = e.problem();
        String text = problem.title() + " (" + problem.status() + "): " + problem.detail()
                + e.retryAfter().map(after -> "; retry after " + Math.max(1, after.toSeconds()) + " s").orElse("");
        return McpSchema.CallToolResult.builder().addTextContent(text).isError(true).build();
    }

    /** A bug of ours: a JSON-RPC internal error in our words; the cause goes to the log, never to the client. */
    private static McpError internal(Exception e) {
        LOG.log(Level.ERROR, "unhandled failure in the MCP tool " + NAME, e);
        return McpError.builder(McpSchema.ErrorCodes.INTERNAL_ERROR)
                .message("the service failed; the failure is logged")
                .build();
    }

    /** The JSON Schema of the arguments; files are those of the REST API, with the same field names. */
    private Map<String, Object> inputSchema() {
        Map<String, Object> file = Map.of(
                "type", "object",
                "properties", Map.of(
                        "path", Map.of("type", "string", "description", "relative path in the working directory"),
                        "content", Map.of("type", "string"),
                        "encoding", Map.of("type", "string", "enum", List.of("utf8", "base64"), "default", "utf8")),
                "required", List.of("path", "content"),
                "additionalProperties", false);
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("code", Map.of("type", "string", "description", "the Python program, run as main.py"));
        properties.put("input", Map.of("type", "string", "description", "standard input of the program"));
        properties.put("files", Map.of("type", "array", "items", file,
                "description", "files laid out beside main.py before it runs"));
        properties.put("runtime", Map.of("type", "string", "enum", parser.runtimes(), "default", PythonRuntime.DEFAULT,
                "description", "the runtime to run it in; GET /v1/runtimes lists each with its packages"));
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        schema.put("required", List.of("code"));
        schema.put("additionalProperties", false);
        return schema;
    }
}
