package dev.sandpod.api;

import java.time.Duration;
import java.util.Optional;

/** A request the API refuses, carrying the problem to answer with and, for 429/503, when to retry. */
class ApiException extends RuntimeException {
    private final transient Problem problem;
    private final Duration retryAfter;

    ApiException(Problem problem, Duration retryAfter) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
        this.retryAfter = retryAfter;
    }

    static ApiException badRequest(String detail) {
        return new ApiException(Problem.of("invalid-request", "Invalid request", 400, detail), null);
    }

    static ApiException tooLarge(String detail) {
        return new ApiException(Problem.of("too-large", "Payload too large", 413, detail), null);
    }

    static ApiException unsupportedMediaType(String detail) {
        return new ApiException(Problem.of("unsupported-media-type", "Unsupported media type", 415, detail), null);
    }

    static ApiException rateLimited(Duration retryAfter) {
        return new ApiException(Problem.of("rate-limited", "Too many requests", 429,
                "rate limit exceeded for this client"), retryAfter);
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
}
