package dev.sandpod.e2e;

import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;


import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files out through HTTP, the real service and real bubblewrap jails, warm ones (the shipped pool) in fork mode. */
class LocalFilesOutTest {
    /** A valid 2x1 RGB PNG from the standard library alone (the default runtime has no imaging package). */
    static final String WRITE_A_PNG = """
            import hashlib, os, struct, sys, zlib

            def chunk(kind, data):
                body = kind + data
                return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))

            rows = b'\\x00\\xff\\x00\\x00\\x00\\x00\\xff'
            png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 2, 1, 8, 2, 0, 0, 0))
                   + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
            os.makedirs('out', exist_ok=True)
            with open('out/chart.png', 'wb') as f:
                f.write(png)
            print(hashlib.sha256(png).hexdigest(), sys.flags.isolated)
            """;
    @RegisterExtension
    static final LocalService SERVICE = new LocalService();

    @Test
    void aPngTheProgramWroteComesBackAsItsBytes() throws Exception {
        Service.Answer answer = SERVICE.get().post("/v1/runs", Map.of("code", WRITE_A_PNG));

        assertEquals("ok", answer.text("status"), answer.body()::toString);
        JsonNode files = answer.body().path("files");
        assertEquals(1, files.size(), answer.body()::toString);
        JsonNode png = files.get(0);
        assertEquals("chart.png", png.path("path").asText());
        assertEquals("image/png", png.path("mimeType").asText());
        byte[] bytes = Base64.getDecoder().decode(png.path("content").asText());
        assertEquals(bytes.length, png.path("size").asLong());
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(sha256, answer.text("stdout").split(" ")[0]);
        assertFalse(answer.body().path("filesTruncated").asBoolean(true));
    }

    @Test
    void theNextWarmRunSeesNoneOfTheLastRunsFiles() throws Exception {
        Service.Answer first = SERVICE.get().post("/v1/runs", Map.of("code", WRITE_A_PNG));
        Service.Answer second = SERVICE.get().post("/v1/runs", Map.of("code",
                "import os, sys\nprint(os.path.exists('out'), sys.flags.isolated)"));

        assertTrue(first.text("stdout").endsWith(" 1\n"), "forked in a warm jail: " + first.text("stdout"));
        assertEquals("False 1\n", second.text("stdout"), "a warm jail of its own, without the first run's out/");
        assertTrue(second.body().path("files").isArray());
        assertEquals(0, second.body().path("files").size());
    }
}
