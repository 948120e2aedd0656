package dev.sandpod.callback;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Delivery attempts against a real receiver on loopback: what is retried, what is not, and where it connects. */
class CallbacksTest {
    private static final byte[] BODY = "{\"id\":\"run-0123456789abcdef\"}".getBytes(StandardCharsets.UTF_8);
    private static final Optional<Signature> SIGNED = Optional.of(new Signature("k".getBytes(StandardCharsets.UTF_8)));

    private final Deque<Integer> answers = new ArrayDeque<>();
    private final AtomicInteger attempts = new AtomicInteger();
    private HttpServer receiver;

    @BeforeEach
    void start() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            attempts.incrementAndGet();
            Integer status;
            synchronized (answers) {
                status = answers.isEmpty() ? 200 : answers.poll();
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
    }

    @Test
    @DisplayName("a 4xx other than 429 ends the delivery at once")
    void clientErrorIsNotRetried() throws Exception {
        answers.add(400);
        assertEquals(400, loopback().send(url("hook"), BODY));
        assertEquals(1, attempts.get());
    }

    @Test
    @DisplayName("429 and 503 are retried until a 2xx")
    void throttlingIsRetried() throws Exception {
        answers.add(429);
        answers.add(503);
        assertEquals(200, loopback().send(url("hook"), BODY));
        assertEquals(3, attempts.get());
    }

    @Test
    @DisplayName("the attempts stop at the configured count, answering the last status")
    void attemptsAreBounded() throws Exception {
        for (int i = 0; i < 10; i++) {
            answers.add(500);
        }
        assertEquals(500, loopback().send(url("hook"), BODY));
        assertEquals(3, attempts.get());
    }

    @Test
    @DisplayName("a name that resolves to a forbidden address at delivery is never connected to")
    void reboundNameIsRefusedAtDelivery() {
        List<InetAddress> loopbackAddress = List.of(InetAddress.getLoopbackAddress());
        Callbacks strict = new Callbacks(new CallbackGuard(AddressPolicy.allowing(""), host -> loopbackAddress), SIGNED,
                3, Duration.ofMillis(1), Duration.ofSeconds(5));
        URI rebound = URI.create("http://hooks.example.com:" + receiver.getAddress().getPort() + "/");

        assertThrows(ForbiddenCallbackException.class, () -> strict.send(rebound, BODY));
        assertEquals(0, attempts.get());
    }

    /** Loopback allowlisted, three attempts, and a name that resolves to the receiver. */
    private Callbacks loopback() {
        List<InetAddress> loopbackAddress = List.of(InetAddress.getLoopbackAddress());
        return new Callbacks(new CallbackGuard(AddressPolicy.allowing("127.0.0.0/8"), host -> loopbackAddress), SIGNED,
                3, Duration.ofMillis(1), Duration.ofSeconds(5));
    }

    private URI url(String path) {
        return URI.create("http://hooks.example.com:" + receiver.getAddress().getPort() + "/" + path);
    }
}
