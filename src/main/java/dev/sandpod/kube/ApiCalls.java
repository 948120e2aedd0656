package dev.sandpod.kube;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.internal.OperationSupport;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;

/**
 * The executor's own requests to the API server, each answered in full within a bound or given up, and what their
 * outcomes say about the API server's health.
 *
 * <p>fabric8's blocking calls ({@code raw()}, the DSL) wait on their answer with no bound of their own: the request
 * timeout covers only the wait for the answer's head, so an API server that stalls in the middle of an answer holds the
 * calling thread for as long as the stall lasts, and a request that times out is retried once more. Here the whole
 * exchange, retries included, ends at the bound; a late answer is then discarded and its connection released, and a
 * retry the client had scheduled does not go out.
 */
final class ApiCalls {
    /** How long runs are refused after a request went unanswered, and the Retry-After of those refusals. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final Duration callTimeout;
    private volatile long failedAt;
    private volatile String failure;

    /** Requests through {@code client}, each bounded by at most the client's own request timeout. */
    ApiCalls(KubernetesClient client) {
        this.client = client;
        this.callTimeout = Duration.ofMillis(client.getConfiguration().getRequestTimeout());
    }

    /** The longest a single request may take: the client's request timeout. */
    Duration callTimeout() {
        return callTimeout;
    }

    /** A GET of {@code path} (from the API server's root): its body, or null on 404; see {@link #send}. */
    String get(String path, Duration within) throws InterruptedException {
        return exchange(builder -> builder, "GET", path, within);
    }

    /**
     * Sends one request with a JSON body and waits for the whole answer, at most {@code within} and never longer than the
     * call timeout.
     *
     * @param path from the API server's root, starting with {@code /}
     * @return the answer's body, or null when the API server answered 404
     * @throws KubernetesClientException with the API server's code and Status when it refused the request, or with no
     *                                   code (0 or below) when it gave no answer in time or could not be reached
     */
    String send(String method, String path, String contentType, Object body, Duration within) throws InterruptedException {
        String json = client.getKubernetesSerialization().asJson(body);
        return exchange(builder -> builder.method(method, contentType, json), method, path, within);
    }

    private String exchange(UnaryOperator<HttpRequest.Builder> verb, String method, String path, Duration within)
            throws InterruptedException {
        String what = method + " " + path;
        Duration bound = within.compareTo(callTimeout) < 0 ? within : callTimeout;
        if (!bound.isPositive()) {
            throw new KubernetesClientException("no time left for " + what);
        }
        long deadline = System.nanoTime() + bound.toNanos();
        HttpRequest request = verb.apply(client.getHttpClient().newHttpRequestBuilder()
                .uri(client.getMasterUrl() + path.substring(1)) // the master URL ends with /
                .timeout(bound.toMillis(), TimeUnit.MILLISECONDS)).build();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<HttpResponse<AsyncBody>> answer = client.getHttpClient().consumeBytes(request,
                (buffers, asyncBody) -> {
                    collect(received, buffers);
                    asyncBody.consume();
                });
        HttpResponse<AsyncBody> response = null;
        try {
            response = answer.get(left(deadline), TimeUnit.NANOSECONDS);
            response.body().consume();
            response.body().done().get(left(deadline), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw unanswered(new KubernetesClientException("no answer to " + what + " within " + bound, e));
        } catch (ExecutionException e) {
            throw unanswered(new KubernetesClientException("no answer to " + what, e.getCause()));
        } finally {
            answer.cancel(true); // a no-op once answered; before, no retry goes out and fabric8 discards a late answer
            if (response != null && !response.body().done().isDone()) {
                response.body().cancel(); // the answer stalled midway: give up its connection
            }
        }
        return outcome(request, response.code(), received);
    }

    /**
     * Why runs should not start right now, or null: the last request went unanswered, or met 5xx or 429, less than
     * {@link #RETRY_AFTER} ago, and no answer came since.
     */
    String unansweredReason() {
        String reason = failure;
        return reason != null && System.nanoTime() - failedAt < RETRY_AFTER.toNanos() ? reason : null;
    }

    /** The API server could not serve the request: no answer (no code), overloaded (429) or failing (5xx). */
    static boolean unavailable(KubernetesClientException e) {
        return e.getCode() <= 0 || e.getCode() == 429 || e.getCode() >= 500;
    }

    private String outcome(HttpRequest request, int code, ByteArrayOutputStream received) {
        String text;
        synchronized (received) {
            text = received.toString(StandardCharsets.UTF_8);
        }
        if (code == 429 || code >= 500) {
            markFailing("the Kubernetes API server answered " + code);
        } else {
            failure = null;
        }
        if (HttpResponse.isSuccessful(code)) {
            return text;
        }
        if (code == 404) {
            return null;
        }
        throw OperationSupport.requestFailure(request, status(code, text));
    }

    private Status status(int code, String text) {
        try {
            Status status = client.getKubernetesSerialization().unmarshal(text, Status.class);
            if (status != null && status.getCode() != null) {
                return status;
            }
        } catch (RuntimeException e) {
            // not a Status: a proxy's or load balancer's page
        }
        return OperationSupport.createStatus(code, text);
    }

    private KubernetesClientException unanswered(KubernetesClientException e) {
        markFailing("the Kubernetes API server did not answer in time or could not be reached");
        return e;
    }

    private void markFailing(String reason) {
        failedAt = System.nanoTime();
        failure = reason;
    }

    private static void collect(ByteArrayOutputStream received, List<ByteBuffer> buffers) {
        synchronized (received) {
            for (ByteBuffer buffer : buffers) {
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                received.write(bytes, 0, bytes.length);
            }
        }
    }

    private static long left(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }
}
