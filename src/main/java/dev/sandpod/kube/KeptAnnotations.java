package dev.sandpod.kube;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.sandpod.run.Kept;
import dev.sandpod.run.RunRequest;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * The annotations of a kept pod, an asynchronous run's (label {@link Labels#KEPT}), which hold what any replica needs to
 * answer for the run: whose it is, its {@link RunShape}, and how it ended. Pure functions: the patches are JSON merge
 * patches, the one kind the fabric8 mock applies besides JSON Patch. All of them are a few hundred bytes, far inside the
 * 256 KiB that a pod's annotations may take; the job itself travels in the pod's env, not here.
 */
final class KeptAnnotations {
    /** Ours: the configured extra annotations may not use the prefix (checked by {@link KubeConfig}). */
    static final String PREFIX = "sandpod.dev/";
    /** The id of the key that submitted the run; absent when the service takes no keys. */
    static final String KEY = PREFIX + "key";
    static final String TTL_SECONDS = PREFIX + "ttl-seconds";
    /** When the ended run's result is forgotten and its pod deleted: its end plus the TTL, set when it ends. */
    static final String EXPIRES = PREFIX + "expires";
    /** The result as the replica running it answered, as envelope JSON ({@link StoredResult}), when it is small. */
    static final String RESULT = PREFIX + "result";
    /** When the run was cancelled: a cancel that came before its end, which makes its end killed, "cancelled". */
    static final String CANCELLED = PREFIX + "cancelled";

    private KeptAnnotations() {
    }

    /** What the pod of an asynchronous run carries from its creation, or its claim for a standby pod. */
    static Map<String, String> atStart(RunRequest request) {
        Kept kept = request.kept();
        // an asynchronous run always streams: its events are readable while it runs
        Map<String, String> annotations = new LinkedHashMap<>(RunShape.of(request, true).annotations());
        annotations.put(TTL_SECONDS, Long.toString(kept.ttl().toSeconds()));
        if (kept.keyId() != null) {
            annotations.put(KEY, kept.keyId());
        }
        return annotations;
    }

    /** The patch of the run's end: when it expires, and its result when small enough to keep here. */
    static Map<String, Object> endPatch(Instant now, Duration ttl, Optional<String> result) {
        Map<String, String> annotations = new HashMap<>();
        annotations.put(EXPIRES, now.plus(ttl).toString());
        result.ifPresent(json -> annotations.put(RESULT, json));
        return Map.of("metadata", Map.of("annotations", annotations));
    }

    /**
     * The patch of a cancel: the mark, the expiry, and the end of the sandbox, whose deadline drops to 1 s (counted from
     * its start, so the kubelet stops it at once; the field may only go down, and a run's is at least 2).
     *
     * @param resourceVersion the version of the pod seen not ended, so that a cancel never lands after the end; or null
     *                        when the replica running the run cancels it, and no end can come but through it
     */
    static Map<String, Object> cancelPatch(Instant now, Duration ttl, String resourceVersion) {
        Map<String, Object> metadata = new HashMap<>();
        metadata.put("annotations", Map.of(CANCELLED, now.toString(), EXPIRES, now.plus(ttl).toString()));
        if (resourceVersion != null) {
            metadata.put("resourceVersion", resourceVersion);
        }
        return Map.of("metadata", metadata, "spec", Map.of("activeDeadlineSeconds", 1));
    }

    static String keyId(Pod pod) {
        return of(pod).get(KEY);
    }

    /** Empty when the pod carries no TTL that reads as one: not a pod this service kept. */
    static Optional<Duration> ttl(Pod pod) {
        try {
            return Optional.ofNullable(of(pod).get(TTL_SECONDS)).map(Long::parseLong).map(Duration::ofSeconds);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static Optional<Instant> expires(Pod pod) {
        return instant(pod, EXPIRES);
    }

    static Optional<Instant> cancelled(Pod pod) {
        return instant(pod, CANCELLED);
    }

    static Optional<String> result(Pod pod) {
        return Optional.ofNullable(of(pod).get(RESULT));
    }

    /** Anyone who may patch sandbox pods could write these, so a value that does not parse reads as absent. */
    private static Optional<Instant> instant(Pod pod, String key) {
        try {
            return Optional.ofNullable(of(pod).get(key)).map(Instant::parse);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    static Map<String, String> of(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        return annotations == null ? Map.of() : annotations;
    }
}
