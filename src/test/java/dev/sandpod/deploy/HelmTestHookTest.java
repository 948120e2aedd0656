package dev.sandpod.deploy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The `helm test` pod's script, run for real against a stand-in for the service on loopback. */
final class HelmTestHookTest {
    /** The Debian python (the one on PATH may be a pyenv shim); the pod runs the sandbox image's. */
    private static final String PYTHON = "/usr/bin/python3";

    private final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final Queue<String> requests = new ConcurrentLinkedQueue<>();
    /** The X-API-Key of each request, "null" when it had none. */
    private final Queue<String> apiKeys = new ConcurrentLinkedQueue<>();
    @TempDir
    Path temp;
    private HttpServer server;

    private record Answer(int status, String body) {
    }

    @BeforeEach
    void startService() throws IOException {
        Files.writeString(keyFile(), "helm-test:" + "0".repeat(64) + "\n");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/runs", this::answer);
        server.start();
    }

    @AfterEach
    void stopService() {
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        requests.add(exchange.getRequestMethod() + " "
                + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        apiKeys.add(String.valueOf(exchange.getRequestHeaders().getFirst("X-API-Key")));
        Answer answer = answers.remove();
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("Retry-After", "0");
        exchange.sendResponseHeaders(answer.status(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void passesWhenTheServicePrintsHelloWorld() {
        answers.add(new Answer(200, "{\"status\":\"ok\",\"stdout\":\"hello world\\n\"}"));
        assertEquals(0, runHook().exitCode());
        assertEquals(List.of("POST {\"code\": \"print('hello world')\"}"), List.copyOf(requests));
    }

    @Test
    void failsOnAnyOtherAnswer() {
        answers.add(new Answer(200, "{\"status\":\"runtime_error\",\"stdout\":\"\"}"));
        Helm.Result result = runHook();
        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("unexpected answer"), result.stderr());
    }

    @Test
    void failsOnAnErrorStatus() {
        answers.add(new Answer(500, "{\"title\":\"bug\"}"));
        assertNotEquals(0, runHook().exitCode());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {503, 429})
    @DisplayName("503 (saturated) and 429 (a rate or per-key cap) are waited out as Retry-After says")
    void waitsOutBackPressure(int status) {
        answers.add(new Answer(status, "{\"title\":\"busy\"}"));
        answers.add(new Answer(200, "{\"status\":\"ok\",\"stdout\":\"hello world\\n\"}"));
        assertEquals(0, runHook().exitCode());
        assertEquals(2, requests.size());
    }

    @Test
    void sendsTheFirstKeyOfTheMountedFile() throws IOException {
        answers.add(new Answer(200, "{\"status\":\"ok\",\"stdout\":\"hello world\\n\"}"));
        String first = "k3y:with:colons-0123456789";
        Files.writeString(keyFile(), "# clients of sandpod\n\n  helm-test:" + first + "\nalice:" + "a".repeat(32) + "\n");
        assertEquals(0, runHook().exitCode());
        assertEquals(List.of(first), List.copyOf(apiKeys));
    }

    @Test
    void sendsNoKeyWhenKeysAreOff() {
        answers.add(new Answer(200, "{\"status\":\"ok\",\"stdout\":\"hello world\\n\"}"));
        assertEquals(0, runHook("--set", "apiKeys.enabled=false").exitCode());
        assertEquals(List.of("null"), List.copyOf(apiKeys));
    }

    /** The stand-in for the mounted Secret: one key unless a test writes others. */
    private Path keyFile() {
        return temp.resolve("keys");
    }

    /** Runs the script of a render as its pod would, with the stand-in key file where the pod's env names its file. */
    private Helm.Result runHook(String... args) {
        Container container = Helm.template(args).one(Pod.class).getSpec().getContainers().get(0);
        assertEquals("python3", container.getCommand().getFirst());
        List<String> command = new ArrayList<>(container.getCommand());
        command.set(0, PYTHON);
        command.addAll(container.getArgs());
        List<String> env = new ArrayList<>(List.of("SANDPOD_URL=http://127.0.0.1:" + server.getAddress().getPort()));
        container.getEnv().stream().filter(variable -> variable.getName().equals("API_KEYS_FILE"))
                .forEach(variable -> env.add(variable.getName() + "=" + keyFile()));
        return Helm.exec(command, env);
    }
}
