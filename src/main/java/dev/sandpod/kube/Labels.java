package dev.sandpod.kube;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.sandpod.run.RunId;

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

    private static final Set<String> RESERVED = Set.of(NAME, COMPONENT, RUN, REPLICA, STATE);

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

    static boolean isReserved(String key) {
        return RESERVED.contains(key);
    }
}
