package dev.sandpod;

import java.nio.file.Path;
import java.util.Map;

import io.helidon.config.Config;

import dev.sandpod.api.LimitPolicy;
import dev.sandpod.config.BackendChoice;
import dev.sandpod.kube.KubeClients;
import dev.sandpod.kube.KubeConfig;
import dev.sandpod.kube.KubeRuntimes;
import dev.sandpod.kube.KubernetesExecutor;
import dev.sandpod.local.LocalConfig;
import dev.sandpod.local.LocalExecutor;
import dev.sandpod.local.LocalRuntimes;
import dev.sandpod.run.Executor;
import dev.sandpod.run.Limits;

/** Creates the executor that {@code sandpod.backend} names. */
final class Backends {
    private Backends() {
    }

    static Executor create(Config sandpod, Map<String, String> env, Path home) {
        // Warm sandboxes of either backend are started with the default limits before any request names its own.
        Limits defaults = LimitPolicy.from(sandpod.get("limits")).defaults();
        return switch (BackendChoice.resolve(sandpod.get("backend").asString().get(), env, home)) {
            case LOCAL -> LocalExecutor.create(LocalConfig.from(sandpod.get("local")),
                    LocalRuntimes.from(sandpod.get("local")), defaults);
            case KUBERNETES -> new KubernetesExecutor(KubeClients.create(), KubeConfig.from(sandpod.get("kubernetes")),
                    KubeRuntimes.from(sandpod.get("kubernetes")), defaults);
        };
    }
}
