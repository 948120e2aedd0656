package dev.sandpod.kube;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** Builds the service's Kubernetes client. */
public final class KubeClients {
    private KubeClients() {
    }

    /** A client from the in-cluster service account or the kubeconfig, with the timeouts of {@link #tuned(Config)}. */
    public static KubernetesClient create() {
        return new KubernetesClientBuilder().withConfig(tuned(Config.autoConfigure(null))).build();
    }

    /**
     * Fails fast when the API server is unreachable: by default fabric8 retries a failed request 10 times, backing off
     * exponentially from 100 ms, which would hold a run for a minute or more before it could answer 503. The request
     * timeout bounds only the wait for an answer's head; {@link ApiCalls} makes it the bound of each whole request.
     */
    public static Config tuned(Config base) {
        return new ConfigBuilder(base)
                .withConnectionTimeout(5_000)
                .withRequestTimeout(10_000)
                .withRequestRetryBackoffLimit(1)
                .withRequestRetryBackoffInterval(200)
                .build();
    }
}
