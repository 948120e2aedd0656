package dev.sandpod.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.sandpod.access.ClientBuckets;

/** A request the API refuses, carrying the problem to answer with and, for 429/503, when to retry. */
class ApiException extends RuntimeException {
    private final transient Problem problem;
    private final Duration retryAfter;
    private final transient Map<String, String> headers;

    ApiException(Problem problem, Duration retryAfter) {
        this(problem, retryAfter, Map.of());
    }

    private ApiException(Problem problem, Duration retryAfter, Map<String, String> headers) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
        this.retryAfter = retryAfter;
        this.headers = Map.copyOf(headers);
    }

    static ApiException badRequest(String detail) {
        return new ApiException(Problem.of("invalid-request", "Invalid request", 400, detail), null);
    }

    static ApiException notFound(String detail) {
        return new ApiException(Problem.of("not-found", "Not found", 404, detail), null);
    }

    static ApiException tooLarge(String detail) {
        return new ApiException(Problem.of("too-large", "Payload too large", 413, detail), null);
    }

    static ApiException unsupportedMediaType(String detail) {
        return new ApiException(Problem.of("unsupported-media-type", "Unsupported media type", 415, detail), null);
    }

    /** A token bucket of {@code whose} (this API key, this address) is empty: retry once it has a token again. */
    static ApiException rateLimited(ClientBuckets.Quota quota, String whose) {
        return new ApiException(Problem.of("rate-limited", "Too many requests", 429, "the rate limit of " + whose
                + " is spent: " + quota.limit() + " requests at once, refilled in " + quota.window().toMillis() + " ms"),
                Duration.ofSeconds(RateLimitHeaders.wholeSecondsUp(quota.untilNext())), RateLimitHeaders.of(quota));
    }

    /** A per-key limit other than the rate (runs at once, CPU-seconds a day) refuses the run until {@code retryAfter}. */
    static ApiException keyLimited(String detail, Duration retryAfter) {
        return new ApiException(Problem.of("rate-limited", "Too many requests", 429, detail), retryAfter);
    }

    static ApiException unauthorized(String detail) {
        return new ApiException(Problem.of("unauthorized", "Unauthorized", 401, detail), null,
                Map.of("WWW-Authenticate", "Bearer realm=\"sandpod\""));
    }

    /** A part of the service that this request needs cannot serve it; {@code retryAfter} may be null. */
    static ApiException unavailable(String detail, Duration retryAfter) {
        return new ApiException(Problem.of("unavailable", "Service unavailable", 503, detail), retryAfter);
    }

    static ApiException saturated(String detail, Duration retryAfter) {
        return new ApiException(Problem.of("unavailable", "Service unavailable", 503, detail), retryAfter);
    }

    Problem problem() {
        return problem;
    }

    Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** Headers the answer carries besides the problem's own: RateLimit-*, WWW-Authenticate. */
    Map<String, String> headers() {
        return headers;
    }
}
