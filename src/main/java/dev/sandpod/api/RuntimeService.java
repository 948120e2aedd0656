package dev.sandpod.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import dev.sandpod.run.PythonRuntime;

/** {@code GET /v1/runtimes}: the runtimes a run may name, each with its Python version and packages. */
final class RuntimeService implements HttpService {
    private final byte[] body;

    /** The list is fixed at start-up (the executor read it from its interpreters or config), so it is written once. */
    RuntimeService(List<PythonRuntime> runtimes) {
        this.body = Json.write(Map.of("default", PythonRuntime.DEFAULT,
                "runtimes", runtimes.stream().map(RuntimeService::entry).toList()));
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/runtimes", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body);
    }

    private static Map<String, Object> entry(PythonRuntime runtime) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", runtime.name());
        entry.put("pythonVersion", runtime.pythonVersion());
        entry.put("packages", runtime.packages().stream()
                .map(pkg -> Map.of("name", pkg.name(), "version", pkg.version())).toList());
        return entry;
    }
}
