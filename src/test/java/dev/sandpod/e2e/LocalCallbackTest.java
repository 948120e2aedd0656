package dev.sandpod.e2e;

import java.time.Duration;
import java.util.Map;

import dev.sandpod.CallbackReceiver;
import dev.sandpod.CallbackReceiver.Delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Callbacks of asynchronous runs in real bubblewrap jails, through HTTP, to a real receiver on loopback (allowlisted):
 * the program's own output arrives signed, and so does a cancel's end.
 */
class LocalCallbackTest {
    private static final String SECRET = "local-callback-secret";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @RegisterExtension
    static final LocalService SERVICE = new LocalService(Map.of("SANDPOD_CALLBACK_SECRET", SECRET,
            "SANDPOD_CALLBACK_ALLOW", "127.0.0.1/32"));

    private CallbackReceiver receiver;

    @BeforeEach
    void start() throws Exception {
        receiver = new CallbackReceiver();
    }

    @AfterEach
    void stop() {
        receiver.close();
    }

    @Test
    @DisplayName("a jailed run's end reaches its callbackUrl signed, the very JSON that GET answers")
    void jailedRunIsCalledBack() throws Exception {
        Service.Answer accepted = SERVICE.get().post("/v1/runs", Map.of("async", true, "callbackUrl", receiver.url(),
                "code", "import sys\nprint(sum(range(10)))\nprint('note', file=sys.stderr)"));
        assertEquals(202, accepted.status(), accepted.body()::toString);

        Delivery delivery = receiver.next(Duration.ofSeconds(30));

        assertTrue(delivery.signedWith(SECRET), delivery.signature());
        JsonNode delivered = MAPPER.readTree(delivery.body());
        assertEquals("ok", delivered.get("status").asText(), delivery::text);
        assertEquals("45\n", delivered.get("stdout").asText());
        assertEquals("note\n", delivered.get("stderr").asText());
        assertEquals("local", delivered.get("backend").asText());
        assertEquals(SERVICE.get().get("/v1/runs/" + accepted.text("id")).body(), delivered);
    }

    @Test
    @DisplayName("a cancelled run's callback carries its end: killed, cancelled")
    void cancelIsCalledBack() throws Exception {
        Service.Answer accepted = SERVICE.get().post("/v1/runs", Map.of("async", true, "callbackUrl", receiver.url(),
                "timeoutMs", 10000, "code", "import time\ntime.sleep(9)"));
        String id = accepted.text("id");
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!SERVICE.get().get("/v1/runs/" + id).text("status").equals("running") && System.nanoTime() < until) {
            Thread.sleep(20);
        }

        SERVICE.get().delete("/v1/runs/" + id);
        Delivery delivery = receiver.next(Duration.ofSeconds(5));

        assertTrue(delivery.signedWith(SECRET), delivery.signature());
        JsonNode delivered = MAPPER.readTree(delivery.body());
        assertEquals("killed", delivered.get("status").asText(), delivery::text);
        assertEquals("cancelled", delivered.get("detail").asText());
    }
}
