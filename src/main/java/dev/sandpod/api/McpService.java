package dev.sandpod.api;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.helidon.config.Config;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The MCP endpoint at {@code /mcp}: a stateless MCP server with the one tool {@code run_python}, built for the first
 * {@code POST}. The MCP SDK with Reactor and its JSON-schema validator is about 460 classes that every cold start would
 * otherwise load before it listens, for an endpoint many replicas never serve.
 *
 * <p>The server is built once, by the first request while the others wait for it. A build that fails is logged and
 * answered with a 503, and the next request tries again.
 */
final class McpService implements HttpService {
    static final String PATH = "/mcp";
    /** Far above a build's time (under a second on one CPU), so that only a build that is stuck is cut short. */
    private static final Duration BUILD_WAIT = Duration.ofSeconds(10);
    private static final System.Logger LOG = System.getLogger(McpService.class.getName());

    private final Supplier<HelidonMcpTransport> build;
    /** Not a monitor: on a JDK 21 runtime a virtual thread waiting on one would hold its carrier for the whole build. */
    private final ReentrantLock building = new ReentrantLock();
    private volatile HelidonMcpTransport transport;

    McpService(Supplier<HelidonMcpTransport> build) {
        this.build = build;
    }

    /** {@code mcp} is the {@code sandpod.mcp} configuration: the web origins allowed to call the endpoint. */
    static McpService create(RunRequestParser parser, RunGate gate, Config mcp) {
        Set<String> origins = Arrays.stream(mcp.get("allowed-origins").asString().orElse("").split(","))
                .map(origin -> origin.strip().toLowerCase(Locale.ROOT)).filter(origin -> !origin.isEmpty())
                .collect(Collectors.toSet());
        return new McpService(new Wiring(parser, gate, origins));
    }

    /**
     * The server's build. A class and not a lambda: linking a lambda resolves its method's types, and this one's
     * returns the transport, whose interface is the SDK's; the SDK's wiring is in the transport for the same reason.
     */
    private record Wiring(RunRequestParser parser, RunGate gate, Set<String> origins) implements Supplier<HelidonMcpTransport> {
        @Override
        public HelidonMcpTransport get() {
            return HelidonMcpTransport.serving(new RunPythonTool(parser, gate), origins);
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post(PATH, this::post)
                .get(PATH, McpService::noStream)
                .delete(PATH, McpService::noStream);
    }

    private void post(ServerRequest req, ServerResponse res) throws IOException {
        transport().post(req, res);
    }

    /** The transport of the one server, built by the first caller. */
    HelidonMcpTransport transport() {
        HelidonMcpTransport built = transport;
        if (built != null) {
            return built;
        }
        try {
            if (!building.tryLock(BUILD_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw ApiException.unavailable("the MCP server is still being built after " + BUILD_WAIT.toSeconds()
                        + " s; retry", Duration.ofSeconds(1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("the MCP server was being built when this request was stopped", null);
        }
        try {
            if (transport == null) {
                transport = build.get();
            }
            return transport;
        } catch (RuntimeException | LinkageError e) {
            // a LinkageError too (a class missing from the image, a static initializer that threw): the error
            // handlers take exceptions only, and Helidon would answer an Error with a bare 500
            LOG.log(Level.ERROR, "the MCP server could not be built; the next request to " + PATH + " tries again", e);
            throw ApiException.unavailable("the MCP endpoint could not be started; the service log has the cause, and"
                    + " the REST API at /v1/runs is not affected", null);
        } finally {
            building.unlock();
        }
    }

    private static void noStream(ServerRequest req, ServerResponse res) {
        // the spec lets a server without server-to-client messages answer GET with 405; DELETE ends a session, and
        // a stateless server has none
        res.status(Status.METHOD_NOT_ALLOWED_405);
        res.header(HeaderNames.ALLOW, "POST");
        res.send();
    }
}
