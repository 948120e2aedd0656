package dev.sandpod.api;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;

/**
 * Sends a run's {@link RunEvents} as server-sent events, each with its id, from the one after {@code Last-Event-ID}
 * until the {@code result} event, then ends the response. A comment goes out whenever the run is quiet for
 * {@link #HEARTBEAT}, so that proxies keep the connection and a client that went away is noticed.
 */
final class EventStream {
    static final String MEDIA_TYPE = "text/event-stream";
    private static final Duration HEARTBEAT = Duration.ofSeconds(2);
    private static final HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");

    private EventStream() {
    }

    /** Whether the client asked for events: {@code text/event-stream} among its accepted types. */
    static boolean wanted(ServerRequest req) {
        return req.headers().all(HeaderNames.ACCEPT, List::of).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .map(type -> type.split(";", 2)[0].strip())
                .anyMatch(MEDIA_TYPE::equalsIgnoreCase);
    }

    /** The id of the last event the client saw, from a reconnecting {@code EventSource}; 0 when it saw none. */
    static long lastEventId(ServerRequest req) {
        String value = req.headers().first(LAST_EVENT_ID).orElse("0").strip();
        try {
            return Math.max(0, Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("Last-Event-ID is an event's id, a number, not " + Shown.text(value));
        }
    }

    /**
     * Streams {@code events} after {@code lastId} to the client until the result; returns false when the client went
     * away first, true when it got everything.
     */
    static boolean send(RunEvents events, long lastId, ServerResponse res) throws InterruptedException {
        res.header(HeaderValues.CACHE_NO_CACHE);
        res.header(HeaderNames.create("X-Accel-Buffering"), "no"); // nginx, the usual ingress, buffers responses
        try (SseSink sink = res.sink(SseSink.TYPE)) {
            long last = lastId;
            while (true) {
                List<RunEvents.Event> batch = events.after(last, HEARTBEAT);
                if (batch.isEmpty()) {
                    if (events.ended()) {
                        return true;
                    }
                    sink.emit(SseEvent.builder().comment("running").build());
                    continue;
                }
                for (RunEvents.Event event : batch) {
                    sink.emit(SseEvent.builder().id(Long.toString(event.id())).name(event.name())
                            .data(new String(event.data(), StandardCharsets.UTF_8)).build());
                    last = event.id();
                    if (event.name().equals(RunEvents.RESULT)) {
                        return true;
                    }
                }
            }
        } catch (UncheckedIOException clientGone) {
            return false;
        }
    }
}
