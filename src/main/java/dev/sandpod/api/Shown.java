package dev.sandpod.api;

/** A value of the request as quoted in a problem's detail: short enough that a refusal never echoes a whole body. */
final class Shown {
    static final int MAX_CHARS = 64;

    private Shown() {
    }

    static String text(String value) {
        if (value.length() <= MAX_CHARS) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
        return value.substring(0, end) + "… (" + value.length() + " characters)";
    }
}
