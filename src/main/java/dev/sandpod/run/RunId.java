package dev.sandpod.run;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A run's id: {@code run-} and 16 hex digits, safe as a Kubernetes label value, a pod name and a cgroup name. */
public record RunId(String value) {
    private static final Pattern SHAPE = Pattern.compile("run-[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public RunId {
        if (!SHAPE.matcher(value).matches()) {
            throw new IllegalArgumentException("run id must match " + SHAPE + ": " + value);
        }
    }

    public static RunId random() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return new RunId("run-" + HexFormat.of().formatHex(bytes));
    }

    @Override
    public String toString() {
        return value;
    }
}
