package dev.sandpod.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Which backend {@code sandpod.backend} names; {@code auto} means Kubernetes when a cluster is reachable by config. */
public enum BackendChoice {
    LOCAL,
    KUBERNETES;

    private static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    public static BackendChoice resolve(String configured, Map<String, String> env, Path home) {
        return switch (configured) {
            case "local" -> LOCAL;
            case "kubernetes" -> KUBERNETES;
            case "auto" -> inCluster(env) || hasKubeconfig(env, home) ? KUBERNETES : LOCAL;
            default -> throw new InvalidConfigException("sandpod.backend must be local, kubernetes or auto: "
                    + configured);
        };
    }

    private static boolean inCluster(Map<String, String> env) {
        return env.containsKey("KUBERNETES_SERVICE_HOST") && Files.isReadable(SERVICE_ACCOUNT_TOKEN);
    }

    private static boolean hasKubeconfig(Map<String, String> env, Path home) {
        String kubeconfig = env.get("KUBECONFIG");
        if (kubeconfig != null && !kubeconfig.isBlank()) {
            return kubeconfig.lines().flatMap(paths -> java.util.Arrays.stream(paths.split(":")))
                    .anyMatch(path -> !path.isBlank() && Files.isReadable(Path.of(path)));
        }
        return Files.isReadable(home.resolve(".kube").resolve("config"));
    }
}
