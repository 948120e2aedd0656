package dev.sandpod.run;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The files part of the runner's envelope: typed by extension, and an entry the runner never writes is dropped. */
class EnvelopeFilesTest {
    private static final RunId ID = new RunId("run-0000000000000000");

    @Test
    void namesTheMediaTypeByTheExtension() {
        RunResult result = parse("""
                [{"path":"plots/a.png","size":3,"content":"AAEC"},{"path":"raw","size":0,"content":""},
                 {"path":"d.json","size":2,"content":"e30="}]""", false);

        assertEquals(List.of(new OutputFile("plots/a.png", 3, "image/png", "AAEC"),
                new OutputFile("raw", 0, "application/octet-stream", ""),
                new OutputFile("d.json", 2, "application/json", "e30=")), result.files());
        assertFalse(result.filesTruncated());
    }

    @Test
    void dropsMalformedEntriesAndSaysSomethingIsMissing() {
        RunResult result = parse("""
                [{"path":"../escape","size":1,"content":"AA=="},{"path":"/abs","size":1,"content":"AA=="},
                 {"path":"a//b","size":1,"content":"AA=="},{"path":"bad64","size":1,"content":"!!"},
                 {"path":"wrong-size","size":5,"content":"AA=="},{"path":7,"size":1,"content":"AA=="},
                 {"path":"ok.txt","size":1,"content":"YQ=="}]""", false);

        assertEquals(List.of(new OutputFile("ok.txt", 1, "text/plain", "YQ==")), result.files());
        assertTrue(result.filesTruncated());
    }

    @Test
    void anEnvelopeWithoutFilesHasAnEmptyList() {
        RunResult result = Envelope.parse(Envelope.PREFIX + "{\"status\":\"ok\"}\n", ID, "test").orElseThrow();

        assertEquals(List.of(), result.files());
        assertFalse(result.filesTruncated());
    }

    @Test
    void theRunnersCutIsKept() {
        assertTrue(parse("[]", true).filesTruncated());
    }

    private static RunResult parse(String files, boolean truncated) {
        String line = Envelope.PREFIX + "{\"status\":\"ok\",\"files\":" + files.replace("\n", "")
                + ",\"filesTruncated\":" + truncated + "}\n";
        return Envelope.parse(line, ID, "test").orElseThrow();
    }
}
