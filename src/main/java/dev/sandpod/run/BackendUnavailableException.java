package dev.sandpod.run;

import java.time.Duration;

/** The backend refused to start a run (quota, API server down, jail missing); the client may retry after a while. */
public final class BackendUnavailableException extends RuntimeException {
    private final Duration retryAfter;

    public BackendUnavailableException(String clientSafeMessage, Duration retryAfter, Throwable cause) {
        super(clientSafeMessage, cause);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
