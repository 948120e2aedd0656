package dev.sandpod.e2e;

import java.util.Map;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's own checks, written once and run on every backend through HTTP and the real service. A subclass starts the
 * service, names its backend and says how a body is posted: the Kubernetes one also compares each answer with the local
 * backend's.
 */
public abstract class SeedChecks {
    /** Posts {@code body} to {@code path} on the service under test, with whatever cross-check the backend adds. */
    protected abstract Service.Answer post(String path, Map<String, Object> body) throws Exception;

    /** The name the backend gives in each answer's {@code backend} field. */
    protected abstract String backend();

    @Test
    @DisplayName("seed: print('Hello, World!') answers 200, status ok and message 'Hello, World!\\n' from this backend")
    void helloWorld() throws Exception {
        Service.Answer answer = seed(200, Map.of("code", "print('Hello, World!')"));
        assertEquals("Hello, World!\n", answer.text("message"));
        assertEquals("ok", answer.text("status"));
        assertEquals(backend(), answer.text("backend"));
    }

    @Test
    @DisplayName("seed: print(input()) echoes 'With input!'")
    void echoesInput() throws Exception {
        assertEquals("With input!\n", seed(200, Map.of("code", "print(input())", "input", "With input!")).text("message"));
    }

    @Test
    @DisplayName("seed: while True: pass answers 408, status timeout and a message containing Timeout")
    void busyLoopTimesOut() throws Exception {
        Service.Answer answer = seed(408, Map.of("code", "while True: pass"));
        assertTrue(answer.text("message").contains("Timeout"), answer.text("message"));
        assertEquals("timeout", answer.text("status"));
    }

    @Test
    @DisplayName("seed: a body without code answers 400 Code is required")
    void missingCode() throws Exception {
        assertEquals("Code is required", seed(400, Map.of("input", "x")).text("message"));
    }

    /** Posts {@code body} to the seed's endpoint {@code /} and checks that it answers {@code status}. */
    private Service.Answer seed(int status, Map<String, Object> body) throws Exception {
        Service.Answer answer = post("/", body);
        assertEquals(status, answer.status(), answer.body().toString());
        return answer;
    }
}
