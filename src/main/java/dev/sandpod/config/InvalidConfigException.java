package dev.sandpod.config;

/** The configuration names a key we don't know or holds a value we can't use; the service must not start. */
public final class InvalidConfigException extends RuntimeException {
    public InvalidConfigException(String message) {
        super(message);
    }
}
