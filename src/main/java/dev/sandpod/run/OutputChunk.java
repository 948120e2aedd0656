package dev.sandpod.run;

import java.util.Objects;

/**
 * A piece of a run's stdout or stderr as the runner kept it, sent while the run goes on; a run's chunks of one stream,
 * joined, are that stream's text in its result.
 *
 * @param stream {@code stdout} or {@code stderr}
 */
public record OutputChunk(String stream, String text) {
    public static final String STDOUT = "stdout";
    public static final String STDERR = "stderr";

    public OutputChunk {
        Objects.requireNonNull(text, "text");
        if (!STDOUT.equals(stream) && !STDERR.equals(stream)) {
            throw new IllegalArgumentException("not a stream: " + stream);
        }
    }
}
