package dev.sandpod.run;

/** The job cannot be carried to the sandbox because it exceeds a channel's size limit; maps to HTTP 413. */
public final class JobTooLargeException extends RuntimeException {
    public JobTooLargeException(String clientSafeMessage) {
        super(clientSafeMessage);
    }
}
