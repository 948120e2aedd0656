package dev.sandpod.run;

import java.util.Optional;

/**
 * The asynchronous runs whose state a backend keeps outside any replica's memory (the Kubernetes backend, in the
 * sandbox pod), so that any replica can answer for a run another one holds, and a restart loses nothing that reached
 * its sandbox. A run not yet in a sandbox (queued) is known only to the replica holding it.
 */
public interface KeptRuns {
    /** A backend that keeps nothing: runs live in the memory of the replica holding them. */
    KeptRuns NONE = new KeptRuns() {
        @Override
        public Optional<KeptRun> find(RunId id, String keyId) {
            return Optional.empty();
        }

        @Override
        public Optional<KeptRun> cancel(RunId id, String keyId) {
            return Optional.empty();
        }
    };

    /**
     * The run, if its sandbox keeps it for {@code keyId} (null when the service takes no keys) and has not expired: to
     * any other key it does not exist.
     *
     * @throws BackendUnavailableException when the backend cannot be asked right now
     */
    Optional<KeptRun> find(RunId id, String keyId) throws InterruptedException;

    /**
     * Ends the run as killed, "cancelled", unless it has already ended, and answers its state then; empty as for
     * {@link #find}.
     *
     * @throws BackendUnavailableException when the backend cannot be asked right now
     */
    Optional<KeptRun> cancel(RunId id, String keyId) throws InterruptedException;
}
