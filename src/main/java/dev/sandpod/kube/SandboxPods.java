package dev.sandpod.kube;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * How sandbox pods are created and deleted, everywhere: one bounded request each ({@link ApiCalls}) whose answer is not
 * parsed. The service needs nothing from them, and parsing each pod back into an object cost about a tenth of the
 * executor's CPU per run (JFR of KubeBenchmark). Failures arrive as {@link KubernetesClientException} with the API
 * server's code and Status, and the client's retries apply as to any request.
 */
final class SandboxPods {
    private static final String JSON = "application/json";
    /** At once (grace 0), leaving dependants to the garbage collector. */
    private static final DeleteOptions AT_ONCE = new DeleteOptionsBuilder()
            .withGracePeriodSeconds(0L)
            .withPropagationPolicy(DeletionPropagation.BACKGROUND.toString())
            .build();

    private SandboxPods() {
    }

    /** Creates the pod in its namespace, in one POST answered within {@code within}. */
    static void create(ApiCalls api, Pod pod, Duration within) throws InterruptedException {
        String namespace = pod.getMetadata().getNamespace();
        if (api.send("POST", path(namespace), JSON, pod, within) == null) {
            throw new KubernetesClientException("namespace " + namespace + " not found", 404, null);
        }
    }

    /** @return false when the pod was already gone */
    static boolean delete(ApiCalls api, String namespace, String name, Duration within) throws InterruptedException {
        return api.send("DELETE", path(namespace) + "/" + name, JSON, AT_ONCE, within) != null;
    }

    /**
     * Deletes every sandbox pod of one replica in a single call, but the kept pods of asynchronous runs: their results
     * outlive the replica, and the reaper of whichever replica runs deletes them once they expire.
     */
    static void deleteOfReplica(ApiCalls api, String namespace, String replica, Duration within)
            throws InterruptedException {
        String selector = Labels.COMPONENT + "=" + Labels.SANDBOX + "," + Labels.REPLICA + "=" + replica + ",!"
                + Labels.KEPT;
        api.send("DELETE", path(namespace) + "?labelSelector=" + URLEncoder.encode(selector, StandardCharsets.UTF_8), JSON,
                AT_ONCE, within);
    }

    private static String path(String namespace) {
        return "/api/v1/namespaces/" + namespace + "/pods";
    }
}
