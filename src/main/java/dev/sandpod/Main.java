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
import dev.sandpod.api.Observability;
import dev.sandpod.config.AppConfig;
import dev.sandpod.config.InvalidConfigException;
import dev.sandpod.run.Executor;

/** Wires config → executor → server, and tears them down in the reverse order on shutdown. */
public final class Main {
    private static final System.Logger LOG = System.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Config config;
        Executor executor;
        try {
            config = AppConfig.load(System.getenv());
            executor = Backends.create(config.get("sandpod"), System.getenv(), Path.of(System.getProperty("user.home")));
        } catch (InvalidConfigException | IllegalArgumentException | ConfigException e) {
            // Each of these carries a message naming the key and the rule; a stack trace would only bury it.
            LOG.log(Level.ERROR, "invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        WebServer server = start(config, executor);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            server.stop();
            executor.close();
        }));
        String unready = executor.unreadyReason();
        if (unready != null) {
            LOG.log(Level.ERROR, "the " + executor.name() + " backend cannot create sandboxes: " + unready);
        }
        LOG.log(Level.INFO, "Sandpod listening on port " + server.port() + " with the " + executor.name() + " backend");
    }

    static WebServer start(Config config, Executor executor) {
        return WebServer.builder()
                .config(config.get("server"))
                .directHandlers(DirectProblems.handlers(config.get("server.max-payload-size").asLong().get()))
                .addFeature(Observability.feature(config.get("server.features.observe"), executor))
                .addFeature(OpenApiFeature.create(config.get("server.features.openapi")))
                .routing(routing -> routing(routing, config, executor))
                .build()
                .start();
    }

    static void routing(HttpRouting.Builder routing, Config config, Executor executor) {
        ApiRouting.routing(routing, config.get("sandpod"), executor);
        routing.register("/", StaticContentFeature.createService(ClasspathHandlerConfig.builder()
                .location("static")
                .welcome("index.html")
                .build()));
    }
}
