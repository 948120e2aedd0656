package dev.sandpod.api;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Answers the refusals Helidon makes itself, before or beneath routing (a malformed request line or header, a body past
 * {@code server.max-payload-size}, broken chunked framing), with the same problem+json as every other refusal.
 * Helidon's default handler sends them with an empty or a text/plain body that no client of ours can parse.
 */
public final class DirectProblems implements DirectHandler {
    private final long maxPayloadSize;

    private DirectProblems(long maxPayloadSize) {
        this.maxPayloadSize = maxPayloadSize;
    }

    /** One handler for every kind of event, for the listener's {@code directHandlers}. */
    public static DirectHandlers handlers(long maxPayloadSize) {
        DirectProblems problems = new DirectProblems(maxPayloadSize);
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            handlers.addHandler(type, problems);
        }
        return handlers.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders headers, String message) {
        // Helidon's message is dropped: details are our own words, and its texts may quote the request.
        Problem problem = problem(eventType, request.method().isEmpty(), defaultStatus);
        headers.set(HeaderNames.CONTENT_TYPE, ProblemHandlers.PROBLEM_JSON);
        TransportResponse.Builder response = TransportResponse.builder()
                .status(Status.create(problem.status()))
                .headers(headers);
        if (!request.method().equalsIgnoreCase("HEAD")) {
            // the answer to a HEAD has no body, or the client reads it as the start of the next answer
            response.entity(ProblemHandlers.body(request.path(), problem));
        }
        return response.build();
    }

    /**
     * The problem for an event. {@code unread} says Helidon had not read a request line yet: its connection loop then
     * turns whatever the bytes threw (a method with a non-ASCII character, headers cut by the end of the stream) into
     * an INTERNAL_ERROR without a request, and that is the client's malformed request, not our failure.
     */
    Problem problem(EventType eventType, boolean unread, Status status) {
        if (eventType == EventType.INTERNAL_ERROR && unread) {
            return badRequest("the request is not valid HTTP/1.1: it could not be read as a request line and headers");
        }
        return switch (status.code()) {
            case 400 -> badRequest("the request is not valid HTTP/1.1: its request line, a header, or the framing of its"
                    + " body (Content-Length, chunked encoding) is malformed");
            case 413 -> Problem.of("too-large", "Payload too large", 413, "the body is over the server's limit of "
                    + maxPayloadSize + " bytes");
            case 414 -> Problem.of("uri-too-long", "URI too long", 414, "the request target is over the server's limit");
            case 431 -> Problem.of("headers-too-large", "Request header fields too large", 431,
                    "the request's headers are over the server's limit");
            // Helidon answers these with 501 and 505. Both refuse what the client sent, and a 5xx reads as this service's
            // own failure on every dashboard: they are the client's 400s here.
            case 501 -> badRequest("the Transfer-Encoding is not one this service reads: send chunked or a Content-Length");
            case 505 -> badRequest("this service speaks HTTP/1.1 only");
            case 500 -> Problem.internal();
            default -> Problem.ofStatus(status);
        };
    }

    private static Problem badRequest(String detail) {
        return Problem.of("invalid-http", "Bad request", 400, detail);
    }
}
