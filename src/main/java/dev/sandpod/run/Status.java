package dev.sandpod.run;

import java.util.Locale;

/** How a run ended, from the program's point of view; {@code INTERNAL_ERROR} alone blames the sandbox. */
public enum Status {
    OK,
    RUNTIME_ERROR,
    TIMEOUT,
    MEMORY_LIMIT,
    OUTPUT_LIMIT,
    KILLED,
    INTERNAL_ERROR;

    /** The lower-case name used in JSON and in the runner's envelope. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Status fromWire(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
