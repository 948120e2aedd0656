package dev.sandpod.api;

import java.io.UncheckedIOException;
import java.util.Optional;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.ServerRequest;

/**
 * Reads a run's body: JSON in UTF-8 by its Content-Type (else 415, or 400 for a header that is no media type), with a
 * framing that could be read to its end (else 400).
 */
final class JsonBody {
    private JsonBody() {
    }

    static byte[] read(ServerRequest req) {
        requireJson(req.headers());
        if (!req.content().hasEntity()) {
            return new byte[0]; // Content-Length: 0 or none: Helidon's as() would throw IllegalStateException
        }
        try {
            return req.content().as(byte[].class);
        } catch (IllegalArgumentException | DataReader.InsufficientDataAvailableException | UncheckedIOException e) {
            // Helidon 4.5 reads the entity lazily, here, and throws these raw for a chunk size that is no hex number
            // (NumberFormatException), a body that ends before its Content-Length or last chunk, or a connection
            // gone. Each is the request's fault. Its own RequestExceptions (413 past max-payload-size) pass on to
            // DirectProblems.
            throw ApiException.badRequest("the body could not be read to its end: its Content-Length or chunked"
                    + " encoding does not match what was sent");
        }
    }

    /** Refuses a request whose Content-Type is not JSON ({@code application/json} or {@code +json}) in UTF-8. */
    static void requireJson(Headers headers) {
        HttpMediaType type = contentType(headers).orElseThrow(() -> ApiException.unsupportedMediaType(
                "send the body as application/json"));
        boolean json = type.mediaType().type().equalsIgnoreCase("application")
                && (type.mediaType().subtype().equalsIgnoreCase("json") || type.mediaType().subtype().endsWith("+json"));
        boolean utf8 = type.charset().map(charset -> charset.equalsIgnoreCase("utf-8")).orElse(true);
        if (!json || !utf8) {
            throw ApiException.unsupportedMediaType("send the body as application/json in UTF-8, not "
                    + Shown.text(type.text()));
        }
    }

    private static Optional<HttpMediaType> contentType(Headers headers) {
        try {
            return headers.contentType();
        } catch (RuntimeException e) {
            // Helidon's parser throws IllegalArgumentException or HttpException for most malformed values, and a
            // StringIndexOutOfBoundsException for an unclosed quote (charset="): each is the header's fault.
            throw ApiException.badRequest("the Content-Type header is not a media type such as application/json: "
                    + Shown.text(headers.get(HeaderNames.CONTENT_TYPE).get()));
        }
    }
}
