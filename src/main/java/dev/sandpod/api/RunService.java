package dev.sandpod.api;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import dev.sandpod.callback.Callbacks;
import dev.sandpod.callback.ForbiddenCallbackException;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The run endpoints: {@code POST /v1/runs}, blocking or asynchronous, {@code GET} and {@code DELETE /v1/runs/{id}} for
 * the asynchronous ones, and the seed's {@code POST /} with its message field and 408, which always blocks.
 */
final class RunService implements HttpService {
    private static final HeaderName PREFER = HeaderNames.create("Prefer");
    private static final String RESPOND_ASYNC = "respond-async";

    private final RunRequestParser parser;
    private final RunGate gate;
    private final Callbacks callbacks;
    private final AsyncRuns async;

    RunService(RunRequestParser parser, RunGate gate, Callbacks callbacks, AsyncRuns async) {
        this.parser = parser;
        this.gate = gate;
        this.callbacks = callbacks;
        this.async = async;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/runs", this::createRun)
                .get("/v1/runs/{id}", this::getRun)
                .get("/v1/runs/{id}/events", this::runEvents)
                .delete("/v1/runs/{id}", this::cancelRun)
                .post("/", this::seedRun);
    }

    private void createRun(ServerRequest req, ServerResponse res) throws Exception {
        JsonNode body = Json.read(JsonBody.read(req));
        RunRequest request = parser.parse(body, true);
        String callbackUrl = RunRequestParser.callbackUrl(body);
        if (RunRequestParser.async(body) || prefersAsync(req)) {
            RunId id = async.submit(Caller.keyId(req), request, callbackUrl == null ? null : callback(callbackUrl));
            res.header(HeaderNames.LOCATION, "/v1/runs/" + id);
            send(res, Status.ACCEPTED_202, AsyncRuns.pending(id, "queued"));
            return;
        }
        if (callbackUrl != null) {
            throw ApiException.badRequest("callbackUrl needs an asynchronous run: add \"async\": true");
        }
        if (EventStream.wanted(req)) {
            streamRun(req, res, request);
            return;
        }
        send(res, Status.OK_200, Json.result(gate.run(req, request), request));
    }

    /** The blocking run as events; a client that goes away before the end takes the run's sandbox with it. */
    private void streamRun(ServerRequest req, ServerResponse res, RunRequest request) throws Exception {
        StreamedRun run = StreamedRun.start(gate, Caller.keyId(req), request,
                result -> AccessLog.noteRunStatus(req, result.status()));
        boolean delivered = false;
        try {
            run.awaitStart(); // a refusal, or this thread stopped while the run waits in the queue, cancels it too
            delivered = EventStream.send(run.events(), 0, res);
        } finally {
            if (!delivered) {
                run.cancel();
            }
        }
    }

    private void runEvents(ServerRequest req, ServerResponse res) throws InterruptedException {
        RunEvents events = async.events(runId(req), Caller.keyId(req));
        EventStream.send(events, EventStream.lastEventId(req), res);
    }

    /** Resolved and checked now too, so that a URL no delivery could reach is a 400, not a silent loss. */
    private URI callback(String url) {
        try {
            return callbacks.accept(url);
        } catch (ForbiddenCallbackException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private void getRun(ServerRequest req, ServerResponse res) throws InterruptedException {
        send(res, Status.OK_200, async.state(runId(req), Caller.keyId(req)));
    }

    private void cancelRun(ServerRequest req, ServerResponse res) throws InterruptedException {
        send(res, Status.OK_200, async.cancel(runId(req), Caller.keyId(req)));
    }

    /** RFC 7240: the preference may come among others, in one header or several. */
    private static boolean prefersAsync(ServerRequest req) {
        return req.headers().all(PREFER, List::of).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .anyMatch(preference -> preference.strip().equalsIgnoreCase(RESPOND_ASYNC));
    }

    private static RunId runId(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        try {
            return new RunId(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("a run id is run- and 16 lower-case hex digits, not " + Shown.text(id));
        }
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
