package dev.sandpod;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.run.Executor;

/** Lets tests in other packages start the service exactly as {@link Main} does, with a backend of their choosing. */
public final class TestServers {
    private TestServers() {
    }

    public static WebServer start(Config config, Executor executor) {
        return Main.start(config, executor);
    }

    public static Executor backend(Config sandpod) {
        return Backends.create(sandpod, java.util.Map.of(), java.nio.file.Path.of("/nonexistent"));
    }
}
