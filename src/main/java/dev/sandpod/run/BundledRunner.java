package dev.sandpod.run;

import java.io.IOException;
import java.io.InputStream;

/** The runner shipped with the service, the class path resource {@code /runner.py}, which every backend runs. */
public final class BundledRunner {
    private BundledRunner() {
    }

    public static byte[] read() throws IOException {
        try (InputStream in = BundledRunner.class.getResourceAsStream("/runner.py")) {
            if (in == null) {
                throw new IOException("runner.py is missing from the class path");
            }
            return in.readAllBytes();
        }
    }
}
