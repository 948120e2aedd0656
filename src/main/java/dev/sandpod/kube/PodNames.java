package dev.sandpod.kube;

import dev.sandpod.run.RunId;

/** A sandbox pod's name is {@code sandpod-} plus its run id, so a pod seen in the cluster leads straight back to its run. */
final class PodNames {
    private PodNames() {
    }

    static String of(RunId id) {
        return "sandpod-" + id.value();
    }
}
