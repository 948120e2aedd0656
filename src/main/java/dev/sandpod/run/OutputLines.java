package dev.sandpod.run;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Picks the runner's {@code SANDPOD-OUTPUT <json>} lines out of its stdout as the bytes arrive, and hands each chunk to
 * the run's {@link OutputSink}. Only the runner writes that stream, so a line is trusted as a chunk once it parses.
 *
 * <p>Memory stays bounded whatever arrives: a line is kept only while it may still be a chunk line, and no longer than
 * {@link #MAX_LINE_BYTES} (a chunk line holds at most one read of the runner's, 64 KiB, JSON-escaped); the result
 * line, which may be megabytes, is skipped as soon as its prefix shows it is not one. Chunks that arrive before a
 * sink is attached (a cold jail starts running before its executor gets hold of it) wait for it.
 */
public final class OutputLines {
    public static final String PREFIX = "SANDPOD-OUTPUT ";
    private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_LINE_BYTES = 64 * 1024 * 6 + 256;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final List<OutputChunk> early = new ArrayList<>();
    private boolean skipping;
    private OutputSink sink;
    private int passedOn;

    /** Lines whose chunks wait for {@link #attach}. */
    public OutputLines() {
    }

    /** Lines whose chunks go to {@code sink} at once. */
    public OutputLines(OutputSink sink) {
        this.sink = sink;
    }

    /** Whether the chunks go anywhere: with {@link OutputSink#NONE} the runner need not stream at all. */
    public synchronized boolean streaming() {
        return sink != null && sink != OutputSink.NONE;
    }

    /**
     * Reads a whole copy of the runner's stdout (a log read after the run) and passes on the chunks past those already
     * passed on: a stream cut short has delivered the first ones, and the copy holds them all.
     */
    public void replay(byte[] stdout) {
        if (!streaming()) {
            return; // nobody reads the chunks: a blocking run's log is not parsed twice
        }
        int seen = passedOn();
        int[] index = {0};
        new OutputLines(chunk -> {
            if (index[0]++ >= seen) {
                pass(chunk);
            }
        }).feed(stdout, 0, stdout.length);
    }

    private synchronized int passedOn() {
        return passedOn;
    }

    /** Sends the chunks seen so far to {@code sink}, then every later one as it comes. */
    public synchronized void attach(OutputSink target) {
        early.forEach(target::accept);
        passedOn += early.size();
        early.clear();
        sink = target;
    }

    public synchronized void feed(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                if (!skipping) {
                    complete(line.toByteArray());
                }
                line.reset();
                skipping = false;
            } else if (!skipping) {
                int at = line.size();
                skipping = at >= MAX_LINE_BYTES || (at < PREFIX_BYTES.length && b != PREFIX_BYTES[at]);
                if (skipping) {
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }
    }

    private void complete(byte[] bytes) {
        if (bytes.length <= PREFIX_BYTES.length) {
            return;
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes, PREFIX_BYTES.length, bytes.length - PREFIX_BYTES.length);
        } catch (java.io.IOException e) {
            return; // a line cut by a kill: the result still carries the whole text
        }
        String stream = node.path("stream").asText("");
        JsonNode text = node.path("text");
        if ((stream.equals(OutputChunk.STDOUT) || stream.equals(OutputChunk.STDERR)) && text.isTextual()) {
            OutputChunk chunk = new OutputChunk(stream, text.asText());
            pass(chunk);
        }
    }

    private synchronized void pass(OutputChunk chunk) {
        if (sink == null) {
            early.add(chunk);
        } else {
            passedOn++;
            sink.accept(chunk);
        }
    }
}
