package dev.sandpod.runner;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.sandpod.run.Envelope;
import dev.sandpod.run.OutputChunk;
import dev.sandpod.run.OutputLines;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner's streamed output, read by the service's own parser: whole, in order, capped, and not forgeable. */
class RunnerStreamTest extends RunnerTestSupport {
    private static final String FORGED = "SANDPOD-OUTPUT {\"stream\":\"stdout\",\"text\":\"forged\"}";

    @Test
    void streamsEachStreamInOrderBeforeTheResultLineAndJoinedEqualsIt() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("""
                import sys, time
                print("one", flush=True)
                time.sleep(0.1)
                print("two", file=sys.stderr, flush=True)
                time.sleep(0.1)
                print("three", flush=True)""").streamed());

        List<OutputChunk> chunks = chunks(output);
        RunResult result = output.result();
        // the pauses give the writes an order: the runner reads whatever both pipes hold in one turn
        assertEquals(List.of("stdout", "stderr", "stdout"), switches(chunks), chunks::toString);
        assertEquals(result.output(), String.join("", chunks.stream().map(OutputChunk::text).toList()));
        assertEquals(result.stdout(), joined(chunks, "stdout"));
        assertEquals(result.stderr(), joined(chunks, "stderr"));
        assertTrue(output.raw().lines().toList().getLast().startsWith(Envelope.PREFIX), output.raw());
    }

    @Test
    void theOutputCapCutsTheStreamWhereItCutsTheResult() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("import sys\nsys.stdout.write('y' * 5000)").outputBytes(1000)
                .streamed());

        RunResult result = output.result();
        assertEquals(Status.OUTPUT_LIMIT, result.status());
        assertEquals(1000, result.stdout().length());
        assertEquals(result.stdout(), joined(chunks(output), "stdout"));
    }

    @Test
    void aCharacterWrittenByteByByteIsNeverStreamedInHalves() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("""
                import os, time
                for b in "é€".encode():
                    os.write(1, bytes([b]))
                    time.sleep(0.02)""").streamed());

        List<OutputChunk> chunks = chunks(output);
        assertEquals("é€", joined(chunks, "stdout"));
        assertFalse(chunks.stream().anyMatch(chunk -> chunk.text().contains("\uFFFD")), chunks::toString);
    }

    @Test
    void aStreamedLinePrintedByTheProgramIsItsOutputNotAChunk() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("import sys\nprint()\nprint(sys.argv[1])").args(FORGED).streamed());

        assertEquals("\n" + FORGED + "\n", joined(chunks(output), "stdout"));
        assertFalse(output.raw().lines().anyMatch(FORGED::equals), output.raw());
        assertEquals(1, output.envelopeLines());
    }

    @Test
    void aJudgedRunNeverStreams() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("print(input())").test("1", "1").streamed());

        assertEquals(1, output.raw().lines().count(), output.raw());
        assertEquals("accepted", output.result().verdict());
    }

    @Test
    void withoutStreamTheRunnerPrintsTheResultLineAlone() throws Exception {
        RunnerOutput output = harness.run(TestJob.code("print('quiet')"));

        assertEquals(1, output.raw().lines().count(), output.raw());
    }

    private static List<OutputChunk> chunks(RunnerOutput output) {
        List<OutputChunk> chunks = new ArrayList<>();
        byte[] raw = output.raw().getBytes(StandardCharsets.UTF_8);
        new OutputLines(chunks::add).feed(raw, 0, raw.length);
        return chunks;
    }

    /** The streams in the order they took turns: consecutive chunks of one stream count once. */
    private static List<String> switches(List<OutputChunk> chunks) {
        List<String> turns = new ArrayList<>();
        for (OutputChunk chunk : chunks) {
            if (turns.isEmpty() || !turns.getLast().equals(chunk.stream())) {
                turns.add(chunk.stream());
            }
        }
        return turns;
    }

    private static String joined(List<OutputChunk> chunks, String stream) {
        return String.join("", chunks.stream().filter(c -> c.stream().equals(stream)).map(OutputChunk::text).toList());
    }
}
