package dev.sandpod;

import java.lang.System.Logger.Level;
import java.nio.file.Path;

import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.logging.common.LogConfig;
import io.helidon.openapi.OpenApiFeature;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;

import dev.sandpod.api.ApiRouting;
import dev.sandpod.api.DirectProblems;
import dev.sandpod.api.Drain;
import dev.sandpod.api.Observability;
import dev.sandpod.config.AppConfig;
import dev.sandpod.config.InvalidConfigException;
import dev.sandpod.run.Executor;

/** Wires config → executor → server, and hands SIGTERM and SIGINT to a {@link Shutdown} that drains them. */
public final class Main {
    private static final System.Logger LOG = System.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Config config;
        Shutdown.Budget budget;
        Executor executor;
        try {
            config = AppConfig.load(System.getenv());
            budget = Shutdown.Budget.from(config);
            executor = Backends.create(config.get("sandpod"), System.getenv(), Path.of(System.getProperty("user.home")));
        } catch (InvalidConfigException | IllegalArgumentException | ConfigException e) {
            // Each of these carries a message naming the key and the rule; a stack trace would only bury it.
            LOG.log(Level.ERROR, "invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        // any exit that bypasses the drain (SIGHUP, a signal during start-up) still removes this replica's sandboxes
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(executor::close));
        Drain drain = new Drain();
        WebServer server = start(config, executor, drain);
        new Shutdown(drain, server, executor, budget).onSignals();
        String unready = executor.unreadyReason();
        if (unready != null) {
            LOG.log(Level.ERROR, "the " + executor.name() + " backend cannot create sandboxes: " + unready);
        }
        LOG.log(Level.INFO, "Sandpod listening on port " + server.port() + " with the " + executor.name() + " backend");
    }

    static WebServer start(Config config, Executor executor, Drain drain) {
        return WebServer.builder()
                .config(config.get("server"))
                .directHandlers(DirectProblems.handlers(config.get("server.max-payload-size").asLong().get()))
                .addFeature(Observability.feature(config.get("server.features.observe"), executor, drain))
                .addFeature(OpenApiFeature.create(config.get("server.features.openapi")))
                .routing(routing -> routing(routing, config, executor, drain))
                .build()
                .start();
    }

    static void routing(HttpRouting.Builder routing, Config config, Executor executor, Drain drain) {
        ApiRouting.routing(routing, config.get("sandpod"), executor, drain);
        routing.register("/", StaticContentFeature.createService(ClasspathHandlerConfig.builder()
                .location("static")
                .welcome("index.html")
                .build()));
    }
}
