package dev.sandpod.api;

import io.helidon.http.Status;

/**
 * An RFC 9457 problem detail. The detail is always text we wrote, never an exception message.
 *
 * @param type   a URI naming the kind of problem
 * @param title  a short summary that is the same for every problem of this type
 * @param status the HTTP status
 * @param detail what went wrong with this request, safe to show to the client
 */
record Problem(String type, String title, int status, String detail) {
    private static final String TYPE_BASE = "https://sandpod.dev/problems/";

    static Problem of(String kind, String title, int status, String detail) {
        return new Problem(TYPE_BASE + kind, title, status, detail);
    }

    /** A bug of ours: the details are in the log, never in the answer. */
    static Problem internal() {
        return of("internal", "Internal Server Error", 500, "the service failed; the failure is logged");
    }

    /** A status Helidon chose (404, 405, 416, ...), in its own standard words. */
    static Problem ofStatus(Status status) {
        return of("http-" + status.code(), status.reasonPhrase(), status.code(), status.reasonPhrase());
    }
}
