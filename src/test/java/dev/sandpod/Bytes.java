package dev.sandpod;

import java.util.Arrays;

/** Byte-array edits for the tests that mutate requests. */
public final class Bytes {
    private Bytes() {
    }

    /** {@code bytes} with {@code remove} bytes at {@code at} replaced by {@code insert}. */
    public static byte[] splice(byte[] bytes, int at, int remove, byte[] insert) {
        byte[] out = new byte[bytes.length - remove + insert.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(bytes, at + remove, out, at + insert.length, bytes.length - at - remove);
        return out;
    }

    public static byte[] concat(byte[] first, byte[] second) {
        byte[] out = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, out, first.length, second.length);
        return out;
    }
}
