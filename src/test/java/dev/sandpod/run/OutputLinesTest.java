package dev.sandpod.run;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Picking streamed chunks out of the runner's stdout however its bytes are cut, and never holding more than a line. */
class OutputLinesTest {
    private static final String STDOUT = """
            SANDPOD-OUTPUT {"stream":"stdout","text":"a\\n"}
            SANDPOD-OUTPUT {"stream":"stderr","text":"\\u00e9"}
            SANDPOD-RESULT {"status":"ok","stdout":"SANDPOD-OUTPUT {\\"stream\\":\\"stdout\\",\\"text\\":\\"no\\"}"}
            """;

    @Test
    void findsTheChunksWhateverTheBytesAreCutAt() {
        byte[] bytes = STDOUT.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut <= bytes.length; cut++) {
            List<OutputChunk> chunks = new ArrayList<>();
            OutputLines lines = new OutputLines(chunks::add);
            for (int at = 0; at < bytes.length; at += cut) {
                lines.feed(bytes, at, Math.min(cut, bytes.length - at));
            }
            assertEquals(List.of(new OutputChunk("stdout", "a\n"), new OutputChunk("stderr", "é")), chunks, "cut " + cut);
        }
    }

    @Test
    void chunksBeforeTheSinkWaitForItAndReachItFirst() {
        OutputLines lines = new OutputLines();
        feed(lines, "SANDPOD-OUTPUT {\"stream\":\"stdout\",\"text\":\"early\"}\n");
        List<OutputChunk> chunks = new ArrayList<>();
        lines.attach(chunks::add);
        feed(lines, "SANDPOD-OUTPUT {\"stream\":\"stdout\",\"text\":\"late\"}\n");

        assertEquals(List.of("early", "late"), chunks.stream().map(OutputChunk::text).toList());
    }

    @Test
    void aReplayPassesOnOnlyTheChunksNotYetPassedOn() {
        List<OutputChunk> chunks = new ArrayList<>();
        OutputLines lines = new OutputLines(chunks::add);
        feed(lines, STDOUT.lines().findFirst().orElseThrow() + "\n");

        lines.replay(STDOUT.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("a\n", "é"), chunks.stream().map(OutputChunk::text).toList());
    }

    @Test
    void malformedOrOverlongLinesAreNotChunks() {
        List<OutputChunk> chunks = new ArrayList<>();
        OutputLines lines = new OutputLines(chunks::add);
        feed(lines, "SANDPOD-OUTPUT {\"stream\":\"stdin\",\"text\":\"x\"}\nSANDPOD-OUTPUT {\"stream\":\"stdout\"\n"
                + "SANDPOD-OUTPUT {\"stream\":\"stdout\",\"text\":\"" + "z".repeat(500_000) + "\"}\nSANDPOD-OUT\n");
        feed(lines, "SANDPOD-OUTPUT {\"stream\":\"stdout\",\"text\":\"fine\"}\n");

        assertEquals(List.of(new OutputChunk("stdout", "fine")), chunks);
    }

    private static void feed(OutputLines lines, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        lines.feed(bytes, 0, bytes.length);
    }
}
