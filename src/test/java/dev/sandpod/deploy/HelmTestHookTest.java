package dev.sandpod.deploy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The `helm test` pod's script, run for real against a stand-in for the service on loopback. */
final class HelmTestHookTest {
    /** The Debian python (the one on PATH may be a pyenv shim); the pod runs the sandbox image's. */
    private static final String PYTHON = "/usr/bin/python3";

    private final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final Queue<String> requests = new ConcurrentLinkedQueue<>();
    private HttpServer server;

    private record Answer(int status, String body) {
    }

    @BeforeEach
    void startService() throws IOException {
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

    @Test
    void waitsOutBackPressure() {
        answers.add(new Answer(503, "{\"title\":\"saturated\"}"));
        answers.add(new Answer(200, "{\"status\":\"ok\",\"stdout\":\"hello world\\n\"}"));
        assertEquals(0, runHook().exitCode());
        assertEquals(2, requests.size());
    }

    private Helm.Result runHook() {
        Container container = Helm.template().one(Pod.class).getSpec().getContainers().get(0);
        assertEquals("python3", container.getCommand().getFirst());
        List<String> command = new ArrayList<>(container.getCommand());
        command.set(0, PYTHON);
        command.addAll(container.getArgs());
        return Helm.exec(command, List.of("SANDPOD_URL=http://127.0.0.1:" + server.getAddress().getPort()));
    }
}
