package dev.sandpod.callback;

import java.io.IOException;
import java.net.Proxy;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.helidon.config.Config;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Posts an asynchronous run's result to its callback URL, signed, on a virtual thread of its own, retrying IO errors,
 * 5xx and 429 with exponential backoff; every attempt checks the URL again and connects only to addresses it checked.
 */
public final class Callbacks {
    private static final System.Logger LOG = System.getLogger(Callbacks.class.getName());
    private static final MediaType JSON = MediaType.get("application/json");

    private final CallbackGuard guard;
    private final Optional<Signature> signature;
    private final int attempts;
    private final Duration firstBackoff;
    private final Duration timeout;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    /**
     * The retry and the HTTP client, made for the first delivery: OkHttp with Kotlin and resilience4j are about 140
     * classes that every cold start would load for a feature most replicas never use.
     */
    private volatile Sender sender;

    private record Sender(Retry retry, OkHttpClient http) {
    }

    Callbacks(CallbackGuard guard, Optional<Signature> signature, int attempts, Duration firstBackoff, Duration timeout) {
        this.guard = guard;
        this.signature = signature;
        this.attempts = attempts;
        this.firstBackoff = firstBackoff;
        this.timeout = timeout;
    }

    /** From {@code sandpod.callback}: secret (env SANDPOD_CALLBACK_SECRET), allow, attempts, backoff, timeout. */
    public static Callbacks from(Config callback) {
        Optional<Signature> signature = callback.get("secret").asString().asOptional().filter(s -> !s.isBlank())
                .map(s -> new Signature(s.getBytes(StandardCharsets.UTF_8)));
        return new Callbacks(CallbackGuard.system(AddressPolicy.allowing(callback.get("allow").asString().orElse(""))),
                signature, callback.get("attempts").asInt().orElse(5),
                Duration.ofMillis(callback.get("first-backoff-ms").asLong().orElse(1000L)),
                Duration.ofMillis(callback.get("timeout-ms").asLong().orElse(10_000L)));
    }

    /** The callback URL of a submission, checked as a delivery will check it; refused without a secret to sign. */
    public URI accept(String url) throws ForbiddenCallbackException {
        if (signature.isEmpty()) {
            throw new ForbiddenCallbackException("callbacks need a secret: the operator has set no SANDPOD_CALLBACK_SECRET");
        }
        return guard.check(url);
    }

    /** Sends {@code body} to {@code url} in the background; a delivery that fails for good is logged. */
    public void deliver(URI url, byte[] body) {
        threads.execute(() -> {
            try {
                int status = send(url, body);
                if (status / 100 != 2) {
                    LOG.log(System.Logger.Level.WARNING, "callback to {0} answered {1}, not retried further", url.getHost(),
                            status);
                }
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "callback to " + url.getHost() + " failed: " + e.getMessage());
            }
        });
    }

    /** Delivers on the calling thread, attempts and backoff included, and answers the last attempt's status. */
    int send(URI url, byte[] body) throws Exception {
        Sender made = sender();
        return made.retry().executeCallable(() -> post(made.http(), url, body));
    }

    private Sender sender() {
        Sender made = sender;
        if (made == null) {
            synchronized (this) {
                made = sender;
                if (made == null) {
                    made = new Sender(Retry.of("callback", RetryConfig.<Integer>custom()
                            .maxAttempts(attempts)
                            .intervalFunction(IntervalFunction.ofExponentialBackoff(firstBackoff, 2.0))
                            .retryExceptions(IOException.class)
                            .retryOnResult(status -> status == 429 || status >= 500)
                            .build()),
                            new OkHttpClient.Builder()
                                    .dns(this::lookup)
                                    .proxy(Proxy.NO_PROXY)
                                    .followRedirects(false)
                                    .followSslRedirects(false)
                                    .callTimeout(timeout)
                                    .build());
                    sender = made;
                }
            }
        }
        return made;
    }

    private int post(OkHttpClient http, URI url, byte[] body) throws IOException, ForbiddenCallbackException {
        guard.check(url.toString()); // OkHttp connects to an IP literal without asking the Dns
        long now = System.currentTimeMillis() / 1000;
        Request request = new Request.Builder().url(url.toString())
                .header("Sandpod-Timestamp", Long.toString(now))
                .header("Sandpod-Signature", signature.orElseThrow().of(now, body))
                .post(RequestBody.create(body, JSON))
                .build();
        try (Response response = http.newCall(request).execute()) {
            return response.code();
        }
    }

    private java.util.List<java.net.InetAddress> lookup(String host) throws UnknownHostException {
        try {
            return guard.addresses(host);
        } catch (ForbiddenCallbackException e) {
            throw new UnknownHostException(e.getMessage());
        }
    }
}
