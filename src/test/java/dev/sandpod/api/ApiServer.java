package dev.sandpod.api;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;

import dev.sandpod.run.Executor;

/**
 * The API's own routing on a loopback port, over the bundled configuration with a test's overrides, for tests of the
 * HTTP layer. Both token buckets are off unless the test sets them: most tests send more than a burst.
 */
final class ApiServer {
    private ApiServer() {
    }

    static WebServer start(Map<String, String> overrides, Executor executor) {
        return start(overrides, executor, routing -> { });
    }

    /** With {@code before} adding to the routing ahead of the API's own filters and routes. */
    static WebServer start(Map<String, String> overrides, Executor executor, Consumer<HttpRouting.Builder> before) {
        Map<String, String> all = new HashMap<>(overrides);
        all.putIfAbsent("sandpod.admission.rate-per-second", "0");
        all.putIfAbsent("sandpod.admission.address-rate-per-second", "0");
        Config config = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .addSource(ConfigSources.create(all)).addSource(ConfigSources.classpath("application.yaml")).build();
        return WebServer.builder().host("127.0.0.1").port(0)
                .routing(routing -> {
                    before.accept(routing);
                    ApiRouting.routing(routing, config.get("sandpod"), executor);
                })
                .build().start();
    }
}
