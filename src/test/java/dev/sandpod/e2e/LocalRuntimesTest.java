package dev.sandpod.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import dev.sandpod.Plots;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Named runtimes on the local backend, through HTTP, the shipped config and real jails: the listing comes from the
 * interpreters themselves, and python-scientific runs numpy, pandas and matplotlib (Debian's, from bin/install-deps).
 */
class LocalRuntimesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** pandas and matplotlib take a while to import on a shared core; the longest run the shipped limits allow. */
    private static final int SLOW_IMPORTS_MS = 10_000;
    @RegisterExtension
    static final LocalService SERVICE = new LocalService();

    @Test
    @DisplayName("GET /v1/runtimes lists python first, then python-scientific with numpy, pandas and matplotlib")
    void listsTheRuntimesWithTheirVersionsAndPackages() throws Exception {
        Service.Answer answer = SERVICE.get().get("/v1/runtimes");
        assertEquals(200, answer.status());
        assertEquals("python", answer.text("default"));
        JsonNode runtimes = answer.body().get("runtimes");
        assertEquals(List.of("python", "python-scientific"), names(runtimes));
        for (JsonNode runtime : runtimes) {
            assertTrue(runtime.get("pythonVersion").asText().matches("3\\.\\d+\\.\\d+"), runtime.toString());
        }
        JsonNode scientific = runtimes.get(1);
        List<String> packages = names(scientific.get("packages"));
        assertTrue(packages.containsAll(List.of("numpy", "pandas", "matplotlib")), packages.toString());
        scientific.get("packages").forEach(pkg -> assertTrue(!pkg.get("version").asText().isEmpty(), pkg.toString()));
    }

    @Test
    void scientificRunComputesWithNumpyAndPandas() throws Exception {
        Service.Answer answer = scientific("""
                import numpy as np, pandas as pd
                frame = pd.DataFrame({"x": np.arange(1, 5)})
                print(int((frame["x"] ** 2).sum()), np.linalg.det(np.array([[2.0, 1.0], [1.0, 3.0]])).round(6))
                """);
        assertEquals("ok", answer.text("status"), answer.body().toString());
        assertEquals("30 5.0\n", answer.text("stdout"));
        assertEquals("python-scientific", answer.text("runtime"));
    }

    @Test
    @DisplayName("a matplotlib PNG saved with the Agg backend under ./out/ comes back in files, the bytes it wrote")
    void scientificRunReturnsAPlot() throws Exception {
        Plots.assertReturnsThePlot(scientific(Plots.MATPLOTLIB_PNG).body());
    }

    @Test
    @DisplayName("An unknown runtime is a 400 problem naming the known ones, and runs nothing")
    void unknownRuntimeIs400() throws Exception {
        Service.Answer answer = SERVICE.get().post("/v1/runs", Map.of("code", "print(1)", "runtime", "python-gpu"));
        assertEquals(400, answer.status());
        assertEquals("application/problem+json", answer.headers().firstValue("Content-Type").orElse(""));
        assertTrue(answer.text("detail").contains("the known runtimes are [python, python-scientific]"),
                answer.body().toString());
    }

    @Test
    @DisplayName("The MCP tool offers the listed runtimes, runs the scientific one, and refuses an unknown one as isError")
    void mcpToolTakesTheListedRuntimes() throws Exception {
        JsonNode tools = mcp("tools/list", Map.of()).get("tools");
        assertEquals(List.of("python", "python-scientific"), StreamSupport.stream(
                tools.get(0).at("/inputSchema/properties/runtime/enum").spliterator(), false).map(JsonNode::asText).toList());
        JsonNode ran = mcp("tools/call", Map.of("name", "run_python", "arguments",
                Map.of("code", "import numpy\nprint(numpy.arange(4).sum())", "runtime", "python-scientific")));
        assertEquals(false, ran.get("isError").asBoolean());
        assertEquals("6\n", ran.at("/structuredContent/stdout").asText(), ran.toString());
        JsonNode refused = mcp("tools/call", Map.of("name", "run_python", "arguments",
                Map.of("code", "print(1)", "runtime", "python-gpu")));
        assertEquals(true, refused.get("isError").asBoolean());
        assertTrue(refused.at("/content/0/text").asText().contains("the known runtimes are [python, python-scientific]"),
                refused.toString());
    }

    private static Service.Answer scientific(String code) throws Exception {
        return SERVICE.get().post("/v1/runs", Map.of("code", code, "runtime", "python-scientific",
                "timeoutMs", SLOW_IMPORTS_MS, "memoryMb", 256));
    }

    private static JsonNode mcp(String method, Map<String, Object> params) throws Exception {
        String body = MAPPER.writeValueAsString(Map.of("jsonrpc", "2.0", "id", 1, "method", method, "params", params));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(SERVICE.get().base()
                        + "/mcp")).header("Content-Type", "application/json")
                        .header("Accept", "application/json, text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return MAPPER.readTree(response.body()).get("result");
    }

    private static List<String> names(JsonNode items) {
        return StreamSupport.stream(items.spliterator(), false).map(item -> item.get("name").asText()).toList();
    }
}
