package dev.sandpod.kube;

import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * How sandbox pods are created and deleted, everywhere. A run's create and delete are raw requests whose answers are not
 * parsed: the service needs nothing from them, and parsing each pod back into an object cost about a tenth of the
 * executor's CPU per run (JFR of KubeBenchmark). Failures still arrive as {@link KubernetesClientException} with the API
 * server's code and Status, and the client's retries apply as to any request.
 */
final class SandboxPods {
    /** At once (grace 0), leaving dependants to the garbage collector. */
    private static final DeleteOptions AT_ONCE = new DeleteOptionsBuilder()
            .withGracePeriodSeconds(0L)
            .withPropagationPolicy(DeletionPropagation.BACKGROUND.toString())
            .build();

    private SandboxPods() {
    }

    /** Creates the pod in its namespace, in one POST. */
    static void create(KubernetesClient client, Pod pod) {
        String namespace = pod.getMetadata().getNamespace();
        if (client.raw(path(namespace), "POST", pod) == null) {
            throw new KubernetesClientException("namespace " + namespace + " not found", 404, null);
        }
    }

    /** @return false when the pod was already gone */
    static boolean delete(KubernetesClient client, String namespace, String name) {
        try {
            return client.raw(path(namespace) + "/" + name, "DELETE", AT_ONCE) != null;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Deletes every sandbox pod of one replica in a single call. */
    static void deleteOfReplica(KubernetesClient client, String namespace, String replica) {
        client.pods().inNamespace(namespace).withLabel(Labels.COMPONENT, Labels.SANDBOX).withLabel(Labels.REPLICA, replica)
                .withGracePeriod(0).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    }

    private static String path(String namespace) {
        return "/api/v1/namespaces/" + namespace + "/pods";
    }
}
