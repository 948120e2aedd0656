package dev.sandpod.api;

import java.util.Optional;

import io.helidon.config.Config;
import io.helidon.webserver.http.HttpRouting;

import dev.sandpod.run.Executor;

/** Wires the API's routes and error mapping for one executor; Main and the tests both call it. */
public final class ApiRouting {
    private ApiRouting() {
    }

    /** The routes of a replica that never drains: tests of the API alone. */
    public static void routing(HttpRouting.Builder routing, Config sandpod, Executor executor) {
        routing(routing, sandpod, executor, new Drain());
    }

    /** The routes, refusing runs once {@code drain} has begun. */
    public static void routing(HttpRouting.Builder routing, Config sandpod, Executor executor, Drain drain) {
        RunRequestParser parser = new RunRequestParser(LimitPolicy.from(sandpod.get("limits")));
        Config admission = sandpod.get("admission");
        RunGate gate = new RunGate(executor, Admission.from(admission), drain,
                admission.get("client-key-header").asString().asOptional().or(Optional::empty));
        ProblemHandlers.register(routing);
        routing.register(new RunService(parser, gate));
        routing.register(McpService.create(parser, gate));
    }
}
