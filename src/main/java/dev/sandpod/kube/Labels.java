package dev.sandpod.kube;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.sandpod.run.RunId;
import io.fabric8.kubernetes.api.model.Pod;

/** The labels Sandpod puts on sandbox pods and selects them by; the pod builder, the informer and the reaper all use these. */
final class Labels {
    static final String NAME = "app.kubernetes.io/name";
    static final String NAME_VALUE = "sandpod";
    /** The informer's and the reaper's selector: every sandbox pod of every replica carries it. */
    static final String COMPONENT = "app.kubernetes.io/component";
    static final String SANDBOX = "sandbox";
    static final String RUN = "sandpod.dev/run";
    static final String REPLICA = "sandpod.dev/replica";
    /** Warm-pool state of a pod: {@link #STANDBY} or {@link #CLAIMED}. */
    static final String STATE = "sandpod.dev/state";
    static final String STANDBY = "standby";
    static final String CLAIMED = "claimed";
    /**
     * On the pod of an asynchronous run, which outlives its run until its result expires ({@link KeptPods}): a label,
     * not an annotation, so that the delete of a replica's pods on shutdown can leave these out by selector.
     */
    static final String KEPT = "sandpod.dev/kept";
    static final String KEPT_VALUE = "true";

    private static final Set<String> RESERVED = Set.of(NAME, COMPONENT, RUN, REPLICA, STATE, KEPT);

    private Labels() {
    }

    /** Our labels first, then the configured extras, which may not reuse our keys (checked by {@link KubeConfig}). */
    static Map<String, String> forRun(RunId id, String replica, Map<String, String> extra) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, NAME_VALUE);
        labels.put(COMPONENT, SANDBOX);
        labels.put(RUN, id.value());
        labels.put(REPLICA, replica);
        labels.putAll(extra);
        return labels;
    }

    /** A standby pod's labels: a run's, with its own id until a claim puts the served run's there, and the pool state. */
    static Map<String, String> forStandby(RunId id, String replica, Map<String, String> extra) {
        Map<String, String> labels = forRun(id, replica, extra);
        labels.put(STATE, STANDBY);
        return labels;
    }

    static boolean kept(Pod pod) {
        return KEPT_VALUE.equals(pod.getMetadata().getLabels().get(KEPT));
    }

    static boolean isReserved(String key) {
        return RESERVED.contains(key);
    }
}
