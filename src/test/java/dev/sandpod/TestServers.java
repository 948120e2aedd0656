package dev.sandpod;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;

import dev.sandpod.api.Drain;
import dev.sandpod.run.Executor;

/** Lets tests in other packages start the service exactly as {@link Main} does, with a backend of their choosing. */
public final class TestServers {
    private TestServers() {
    }

    public static WebServer start(Config config, Executor executor) {
        return start(config, executor, new Drain());
    }

    /** As {@link #start(Config, Executor)}, with the drain that a {@link Shutdown} of the test's own begins. */
    public static WebServer start(Config config, Executor executor, Drain drain) {
        return Main.start(config, executor, drain);
    }

    public static Executor backend(Config sandpod) {
        return Backends.create(sandpod, java.util.Map.of(), java.nio.file.Path.of("/nonexistent"));
    }
}
