package dev.sandpod.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.helidon.config.Config;
import io.helidon.webserver.http.HttpRouting;

import dev.sandpod.access.ClientBuckets;
import dev.sandpod.access.KeyFile;
import dev.sandpod.callback.Callbacks;
import dev.sandpod.net.TrustedProxies;
import dev.sandpod.run.Executor;

/** Wires the API's routes, its access control and log, and its error mapping for one executor; Main and the tests call it. */
public final class ApiRouting {
    private ApiRouting() {
    }

    /** The routes of a replica that never drains: tests of the API alone. */
    public static void routing(HttpRouting.Builder routing, Config sandpod, Executor executor) {
        routing(routing, sandpod, executor, new Drain());
    }

    /** The routes, refusing runs once {@code drain} has begun. */
    public static void routing(HttpRouting.Builder routing, Config sandpod, Executor executor, Drain drain) {
        RunRequestParser parser = new RunRequestParser(LimitPolicy.from(sandpod.get("limits")), executor.runtimeNames());
        Config admission = sandpod.get("admission");
        RunGate gate = new RunGate(executor, Admission.from(admission), KeyQuotas.from(admission), drain);
        Callbacks callbacks = Callbacks.from(sandpod.get("callback"));
        routing.addFilter(new AccessLog(AccessLog.format(sandpod.get("access-log.format").asString().get()), System.out))
                .addFilter(callerGate(sandpod));
        ProblemHandlers.register(routing);
        routing.register(new RunService(parser, gate, callbacks,
                AsyncRuns.from(sandpod.get("async"), gate, callbacks, executor.keptRuns())));
        routing.register(new RuntimeService(executor::runtimes));
        routing.register(McpService.create(parser, gate, sandpod.get("mcp")));
    }

    private static CallerGate callerGate(Config sandpod) {
        Config admission = sandpod.get("admission");
        Config keys = sandpod.get("api-keys");
        Optional<KeyFile> keyFile = keys.get("file").asString().asOptional().filter(file -> !file.isBlank())
                .map(file -> KeyFile.watch(Path.of(file), Duration.ofMillis(keys.get("reload-interval-ms").asLong().get())));
        return new CallerGate(keyFile, TrustedProxies.parse(admission.get("trusted-proxies").asString().orElse("")),
                ClientBuckets.of(admission.get("address-rate-per-second").asDouble().get(),
                        admission.get("address-burst").asInt().get()),
                ClientBuckets.of(admission.get("rate-per-second").asDouble().get(), admission.get("burst").asInt().get()));
    }
}
