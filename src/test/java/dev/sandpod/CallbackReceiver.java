package dev.sandpod;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP server on loopback that takes callbacks at {@code /hook}, answers 500 to the first ones it is told to fail
 * and 200 to the rest, and keeps every attempt for the test to check, signature included.
 */
public final class CallbackReceiver implements AutoCloseable {
    private final HttpServer server;
    private final BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();

    /** One attempt: its Sandpod-Timestamp and Sandpod-Signature headers and its body. */
    public record Delivery(String timestamp, String signature, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Whether the signature is {@code sha256=} and the hex HMAC-SHA256 of "timestamp.body" under {@code secret}. */
        public boolean signedWith(String secret) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
                return ("sha256=" + HexFormat.of().formatHex(mac.doFinal(body))).equals(signature);
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is in every JDK", e);
            }
        }
    }

    public CallbackReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status = failuresLeft.getAndDecrement() > 0 ? 500 : 200; // before the test can see the delivery
            deliveries.add(new Delivery(exchange.getRequestHeaders().getFirst("Sandpod-Timestamp"),
                    exchange.getRequestHeaders().getFirst("Sandpod-Signature"), body));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    /** The URL callbacks go to. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** Answers 500 to the next {@code attempts} attempts. */
    public void failNext(int attempts) {
        failuresLeft.set(attempts);
    }

    /** Whether every attempt it was told to fail has come. */
    public boolean failedAll() {
        return failuresLeft.get() <= 0;
    }

    /** The next attempt, waiting up to {@code within}; fails the test when none comes. */
    public Delivery next(Duration within) throws InterruptedException {
        Delivery delivery = deliveries.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        if (delivery == null) {
            throw new AssertionError("no callback arrived within " + within);
        }
        return delivery;
    }

    /** Attempts that came and were not taken yet. */
    public int waiting() {
        return deliveries.size();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
