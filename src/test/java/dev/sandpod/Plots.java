package dev.sandpod;

import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

import com.fasterxml.jackson.databind.JsonNode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test case for files out, on either backend: a matplotlib PNG saved with the Agg backend under ./out/. */
public final class Plots {
    /** Plots three points into out/plot.png and prints the file's SHA-256, as the program saw it. */
    public static final String MATPLOTLIB_PNG = """
            import hashlib, os
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            plt.plot([0, 1, 2], [2, 0, 1])
            os.makedirs("out", exist_ok=True)
            plt.savefig("out/plot.png")
            print(hashlib.sha256(open("out/plot.png", "rb").read()).hexdigest())
            """;

    private Plots() {
    }

    /** Fails unless {@code answer}, a run of {@link #MATPLOTLIB_PNG}, returned the very PNG the program wrote. */
    public static void assertReturnsThePlot(JsonNode answer) throws Exception {
        assertEquals("ok", answer.path("status").asText(), answer::toString);
        JsonNode files = answer.get("files");
        assertEquals(1, files.size(), files::toString);
        assertEquals("plot.png", files.get(0).get("path").asText());
        assertEquals("image/png", files.get(0).get("mimeType").asText());
        byte[] png = Base64.getDecoder().decode(files.get(0).get("content").asText());
        assertEquals(png.length, files.get(0).get("size").asInt());
        assertTrue(png.length > 1000 && png[0] == (byte) 0x89 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        assertEquals(answer.path("stdout").asText().strip(), HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(png)));
        assertFalse(answer.get("filesTruncated").asBoolean());
    }
}
