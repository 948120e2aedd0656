package dev.sandpod.run;

import java.time.Duration;
import java.util.Objects;

/**
 * What makes a run asynchronous to its executor: its sandbox's end is kept for {@code ttl} after the run ended, for the
 * key that submitted it, so that a backend whose sandboxes outlive a replica (Kubernetes) can answer for it anywhere.
 *
 * @param keyId the id of the key that submitted the run, or null when the service takes no keys
 * @param ttl   how long the ended run stays readable
 */
public record Kept(String keyId, Duration ttl) {
    public Kept {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.toSeconds() < 1) {
            throw new IllegalArgumentException("ttl < 1 s: " + ttl);
        }
    }
}
