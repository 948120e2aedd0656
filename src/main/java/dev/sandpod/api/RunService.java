package dev.sandpod.api;

import java.util.Map;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

/** The run endpoints: {@code POST /v1/runs}, and the seed's {@code POST /} with its message field and 408. */
final class RunService implements HttpService {
    private final RunRequestParser parser;
    private final RunGate gate;

    RunService(RunRequestParser parser, RunGate gate) {
        this.parser = parser;
        this.gate = gate;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/runs", this::createRun)
                .post("/", this::seedRun);
    }

    private void createRun(ServerRequest req, ServerResponse res) throws Exception {
        RunRequest request = parser.parse(Json.read(JsonBody.read(req)), true);
        send(res, Status.OK_200, Json.result(gate.run(req, request), request));
    }

    private void seedRun(ServerRequest req, ServerResponse res) throws Exception {
        var request = parser.parse(Json.read(JsonBody.read(req)), false);
        RunResult result = gate.run(req, request);
        Map<String, Object> body = Json.result(result, request);
        boolean timedOut = result.status() == dev.sandpod.run.Status.TIMEOUT;
        body.put("message", timedOut ? "Timeout of " + request.limits().timeMs() + " exceeded" : result.output());
        send(res, timedOut ? Status.REQUEST_TIMEOUT_408 : Status.OK_200, body);
    }

    private static void send(ServerResponse res, Status status, Map<String, Object> body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.write(body));
    }
}
