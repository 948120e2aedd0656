package dev.sandpod.kube;

import java.util.Map;

import dev.sandpod.run.RunRequest;

/**
 * What reading the end of a run's pod needs to know of its request, so that a replica without the request (another one,
 * or this one after a restart) reads a kept pod ({@link KeptAnnotations}) exactly as the replica running it does.
 *
 * @param runtime         the runtime's name, which the answer names
 * @param tests           how many judged tests it has, 0 for a plain run
 * @param deadlineSeconds the run's own {@code activeDeadlineSeconds}, which a timeout's detail names
 * @param logBytes        the most of the pod's log to read, which holds any envelope the runner can print
 */
record RunShape(String runtime, int tests, long deadlineSeconds, int logBytes) {
    static final String RUNTIME = "sandpod.dev/runtime";
    static final String TESTS = "sandpod.dev/tests";
    static final String DEADLINE_SECONDS = "sandpod.dev/deadline-seconds";
    static final String LOG_BYTES = "sandpod.dev/log-bytes";

    /** @param streamed whether the runner streams, which its log then holds too */
    static RunShape of(RunRequest request, boolean streamed) {
        return new RunShape(request.runtime(), request.tests().size(), PodSpecs.activeDeadlineSeconds(request),
                KubernetesExecutor.logLimitBytes(request, streamed));
    }

    /**
     * The shape a kept pod's annotations carry.
     *
     * @throws IllegalArgumentException when one is missing or not a number: not a pod this service kept
     */
    static RunShape from(Map<String, String> annotations) {
        return new RunShape(required(annotations, RUNTIME), Integer.parseInt(required(annotations, TESTS)),
                Long.parseLong(required(annotations, DEADLINE_SECONDS)), Integer.parseInt(required(annotations, LOG_BYTES)));
    }

    boolean judged() {
        return tests > 0;
    }

    Map<String, String> annotations() {
        return Map.of(RUNTIME, runtime, TESTS, Integer.toString(tests), DEADLINE_SECONDS, Long.toString(deadlineSeconds),
                LOG_BYTES, Integer.toString(logBytes));
    }

    private static String required(Map<String, String> annotations, String key) {
        String value = annotations.get(key);
        if (value == null) {
            throw new IllegalArgumentException("no annotation " + key);
        }
        return value;
    }
}
