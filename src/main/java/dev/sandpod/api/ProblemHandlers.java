package dev.sandpod.api;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.JobTooLargeException;

/**
 * Maps every failure to an {@code application/problem+json} answer. Details are our own words: an exception's text,
 * a stack trace, a host path or a Kubernetes object never reaches the client. On the seed's {@code POST /} the
 * problem also carries the seed's {@code message} field.
 */
final class ProblemHandlers {
    static final String PROBLEM_JSON = "application/problem+json";
    private static final System.Logger LOG = System.getLogger(ProblemHandlers.class.getName());

    private ProblemHandlers() {
    }

    static void register(HttpRouting.Builder routing) {
        routing.error(ApiException.class, ProblemHandlers::refusal)
                .error(JobTooLargeException.class, (req, res, e) -> send(req, res,
                        Problem.of("too-large", "Payload too large", 413, e.getMessage()), null))
                .error(BackendUnavailableException.class, (req, res, e) -> {
                    LOG.log(Level.WARNING, "backend unavailable: " + e.getMessage(), e.getCause());
                    send(req, res, Problem.of("unavailable", "Service unavailable", 503, e.getMessage()),
                            e.retryAfter());
                })
                .error(HttpException.class, ProblemHandlers::httpException)
                // Helidon's static content parses If-Modified-Since and If-Unmodified-Since and throws on a value that is
                // no HTTP-date; nothing else of ours parses dates, so this is always a request header's fault.
                .error(DateTimeParseException.class, (req, res, e) -> send(req, res, Problem.of("invalid-request",
                        "Invalid request", 400, "a date header (If-Modified-Since, If-Unmodified-Since) is not an"
                                + " HTTP-date such as Sun, 06 Nov 1994 08:49:37 GMT"), null))
                .error(Exception.class, ProblemHandlers::bug);
    }

    private static void refusal(ServerRequest req, ServerResponse res, ApiException e) {
        e.headers().forEach(res::header);
        send(req, res, e.problem(), e.retryAfter().orElse(null));
    }

    private static void httpException(ServerRequest req, ServerResponse res, HttpException e) {
        Status status = e.status();
        if (status.code() >= 500) {
            bug(req, res, e);
            return;
        }
        send(req, res, Problem.ofStatus(status), null);
    }

    private static void bug(ServerRequest req, ServerResponse res, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        LOG.log(Level.ERROR, "unhandled failure on " + req.prologue().method().text() + " " + req.path().path(), e);
        send(req, res, Problem.internal(), null);
    }

    private static void send(ServerRequest req, ServerResponse res, Problem problem, Duration retryAfter) {
        res.status(Status.create(problem.status()));
        res.header(HeaderNames.CONTENT_TYPE, PROBLEM_JSON);
        if (retryAfter != null) {
            res.header(HeaderNames.RETRY_AFTER, String.valueOf(Math.max(1, retryAfter.toSeconds())));
        }
        if (req.prologue().method() == Method.HEAD) {
            // Helidon writes whatever entity is sent, HEAD or not, and a body after a HEAD's answer would be read
            // as the start of the next answer on the connection
            res.send();
        } else {
            res.send(body(req.path().path(), problem));
        }
    }

    /** The problem as sent for a request to {@code path}: the seed's {@code POST /} also gets its {@code message}. */
    static byte[] body(String path, Problem problem) {
        Map<String, Object> body = Json.problem(problem);
        if (path.equals("/")) {
            body.put("message", problem.status() == 500 ? "Internal Server Error" : problem.detail());
        }
        return Json.write(body);
    }
}
