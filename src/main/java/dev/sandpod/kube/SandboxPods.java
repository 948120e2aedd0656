package dev.sandpod.kube;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.client.KubernetesClient;

/** How sandbox pods are deleted, everywhere: at once (grace 0), leaving dependants to the garbage collector. */
final class SandboxPods {
    private SandboxPods() {
    }

    /** @return false when the pod was already gone */
    static boolean delete(KubernetesClient client, String namespace, String name) {
        return !client.pods().inNamespace(namespace).withName(name)
                .withGracePeriod(0).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete().isEmpty();
    }

    /** Deletes every sandbox pod of one replica in a single call. */
    static void deleteOfReplica(KubernetesClient client, String namespace, String replica) {
        client.pods().inNamespace(namespace).withLabel(Labels.COMPONENT, Labels.SANDBOX).withLabel(Labels.REPLICA, replica)
                .withGracePeriod(0).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    }
}
