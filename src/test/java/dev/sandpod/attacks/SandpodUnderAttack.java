package dev.sandpod.attacks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.webserver.WebServer;

import dev.sandpod.api.ApiRouting;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The real service under attack: the Helidon server on a free loopback port with the API's routing and a real
 * backend, the host fixtures the attacks aim at, and the host invariants, checked after every test of the class that
 * registers it and followed by a hello-world run that must be {@code ok}.
 *
 * <p>The configuration is the bundled one with the rate limit off (the suite sends many runs from one address) and
 * the backend's own scoping settings (see {@link LocalBackend}).
 */
final class SandpodUnderAttack implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private static final Duration SETTLE = Duration.ofSeconds(10);
    private static final Duration ANSWER = Duration.ofSeconds(60);
    private static final int WARM_UP_RUNS = 3;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, String> settings;
    private final Starter starter;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private Backend backend;
    private WebServer server;
    private HostFixtures host;
    private HostInvariants invariants;

    /** Starts the backend from the {@code sandpod} config node. */
    @FunctionalInterface
    private interface Starter {
        Backend start(Config sandpod) throws IOException;
    }

    private SandpodUnderAttack(Map<String, String> settings, Starter starter) {
        this.settings = settings;
        this.starter = starter;
    }

    /** The local backend as shipped, warm pool included. */
    static SandpodUnderAttack local() {
        return new SandpodUnderAttack(LocalBackend.settings(null), LocalBackend::start);
    }

    /** The local backend with no pool, so that every run takes the cold path. */
    static SandpodUnderAttack localCold() {
        return new SandpodUnderAttack(LocalBackend.settings(0), LocalBackend::start);
    }

    /** The Kubernetes backend against the mock API server and its kubelet emulator. */
    static SandpodUnderAttack kubernetes() {
        return new SandpodUnderAttack(KubernetesBackend.settings(), sandpod -> KubernetesBackend.start());
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Config config = config();
        backend = starter.start(config.get("sandpod"));
        server = WebServer.builder()
                .config(config.get("server"))
                .host("127.0.0.1")
                .port(0)
                .routing(routing -> ApiRouting.routing(routing, config.get("sandpod"), backend.executor()))
                .build()
                .start();
        host = HostFixtures.open(backend.python(), server.port());
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            assertHelloWorld();
        }
        invariants = HostInvariants.baseline(backend);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        invariants.beforeAttack();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        host.assertUntouched();
        invariants.assertSettled(SETTLE);
        assertHelloWorld();
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            server.stop();
            backend.close();
            if (invariants != null) {
                invariants.assertAllGone(SETTLE);
            }
        } finally {
            host.close();
        }
    }

    /** Sends one attack and checks its expected outcome; the host is checked after the test. */
    void assertSafe(Attack attack) {
        attack.expectation().check(post(attack.body(host)));
    }

    /** {@code POST /v1/runs} with {@code body} as JSON. */
    Answer post(Map<String, Object> body) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/runs"))
                    .timeout(ANSWER)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(MAPPER.writeValueAsBytes(body)))
                    .build();
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return Answer.of(response.statusCode(), response.body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a request body of plain values failed to serialize", e);
        } catch (IOException e) {
            throw new AssertionError("the service did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the service", e);
        }
    }

    private void assertHelloWorld() {
        Answer answer = post(Map.of("code", "print('hello')"));
        assertEquals(200, answer.httpStatus(), answer::describe);
        assertEquals("ok", answer.status(), () -> "the next hello-world run must be ok: " + answer.describe());
        assertEquals("hello\n", answer.stdout(), answer::describe);
    }

    private Config config() {
        Map<String, String> overrides = new HashMap<>(settings);
        overrides.put("sandpod.admission.rate-per-second", "0");
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(overrides))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
    }
}
