package dev.sandpod.callback;

/** A callback URL that may not be called; the message is safe to show the client who gave it. */
public final class ForbiddenCallbackException extends Exception {
    public ForbiddenCallbackException(String message) {
        super(message, null, false, false);
    }
}
