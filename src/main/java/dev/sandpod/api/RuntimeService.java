package dev.sandpod.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import dev.sandpod.run.PythonRuntime;

/** {@code GET /v1/runtimes}: the runtimes a run may name, each with its Python version and packages. */
final class RuntimeService implements HttpService {
    private final Supplier<List<PythonRuntime>> runtimes;
    private volatile byte[] body;

    /**
     * The list does not change once the executor has it (from its interpreters or its config), so it is written once,
     * when first asked for: the local backend asks its interpreters off the start-up path.
     */
    RuntimeService(Supplier<List<PythonRuntime>> runtimes) {
        this.runtimes = runtimes;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/runtimes", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        byte[] written = body;
        if (written == null) {
            written = Json.write(Map.of("default", PythonRuntime.DEFAULT,
                    "runtimes", runtimes.get().stream().map(RuntimeService::entry).toList()));
            body = written;
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(written);
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
