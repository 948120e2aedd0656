package dev.sandpod.kube;

import java.nio.file.Files;
import java.nio.file.Path;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** Builds the service's Kubernetes client and tells whether a cluster is configured at all (for {@code backend: auto}). */
public final class KubeClients {
    private static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    private KubeClients() {
    }

    /** A client from the in-cluster service account or the kubeconfig, with the timeouts of {@link #tuned(Config)}. */
    public static KubernetesClient create() {
        return new KubernetesClientBuilder().withConfig(tuned(Config.autoConfigure(null))).build();
    }

    /**
     * Fails fast when the API server is unreachable: fabric8 retries a failed request 10 times with exponential back-off by
     * default, which would hold a run for a minute before it could answer 503.
     */
    public static Config tuned(Config base) {
        return new ConfigBuilder(base)
                .withConnectionTimeout(5_000)
                .withRequestTimeout(10_000)
                .withRequestRetryBackoffLimit(1)
                .withRequestRetryBackoffInterval(200)
                .build();
    }

    /** True in a pod with a service account token, or where {@code KUBECONFIG} or {@code ~/.kube/config} names a file. */
    public static boolean clusterConfigured() {
        if (Files.isReadable(SERVICE_ACCOUNT_TOKEN)) {
            return true;
        }
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig != null && !kubeconfig.isBlank()) {
            return Files.isReadable(Path.of(kubeconfig.split(java.io.File.pathSeparator)[0]));
        }
        return Files.isReadable(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }
}
