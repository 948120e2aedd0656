package dev.sandpod.api;

import java.io.PrintStream;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;

import dev.sandpod.run.Status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One line on standard output per request, once its answer is sent: its id, the API key's id (never the key), the
 * client's address, method, path, status, duration and the run's status when it ran code. JSON by default, for a log
 * collector; {@code text} for a person at a terminal. The id is the client's {@code X-Request-Id} when it is a plain
 * token, else a new one, and the answer carries it back so a client can quote it.
 */
final class AccessLog implements Filter {
    static final HeaderName X_REQUEST_ID = HeaderNames.create("X-Request-Id");
    private static final Pattern PLAIN_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    enum Format { JSON, TEXT, OFF }

    private final Format format;
    private final PrintStream out;

    /** What a route learns about a request that the log line reports: the run's status. */
    private static final class Notes {
        private volatile String runStatus;
    }

    AccessLog(Format format, PrintStream out) {
        this.format = format;
        this.out = out;
    }

    static Format format(String name) {
        try {
            return Format.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sandpod.access-log.format is json, text or off, not " + name, e);
        }
    }

    static void noteRunStatus(ServerRequest req, Status status) {
        req.context().get(Notes.class).ifPresent(notes -> notes.runStatus = status.wireName());
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (format == Format.OFF) {
            chain.proceed();
            return;
        }
        long started = System.nanoTime();
        String id = req.headers().first(X_REQUEST_ID).filter(given -> PLAIN_ID.matcher(given).matches())
                .orElseGet(() -> HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
        res.header(X_REQUEST_ID, id);
        Notes notes = new Notes();
        req.context().register(notes);
        AtomicBoolean logged = new AtomicBoolean();
        Runnable log = () -> {
            if (logged.compareAndSet(false, true)) {
                out.println(line(id, req, res, (System.nanoTime() - started) / 1e6, notes.runStatus));
            }
        };
        res.whenSent(log);
        chain.proceed();
        if (res.isSent()) {
            log.run(); // an event stream that the client cut off never completes its sending, yet it has ended
        }
    }

    private String line(String id, RoutingRequest req, RoutingResponse res, double millis, String runStatus) {
        Caller caller = req.context().get(Caller.class).orElse(null);
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("time", Instant.now().toString());
        fields.put("id", id);
        fields.put("key", caller == null ? null : caller.keyId());
        fields.put("client", caller == null ? req.remotePeer().host() : caller.address());
        fields.put("method", req.prologue().method().text());
        // the raw path: percent-encoded, so no control character of a request can forge a line
        fields.put("path", req.prologue().uriPath().rawPath());
        fields.put("status", res.status().code());
        fields.put("durationMs", Math.round(millis * 10) / 10.0);
        fields.put("runStatus", runStatus);
        if (format == Format.TEXT) {
            StringBuilder text = new StringBuilder();
            fields.forEach((name, value) -> text.append(text.isEmpty() ? "" : " ").append(name).append('=')
                    .append(value == null ? "-" : value));
            return text.toString();
        }
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and numbers is always JSON", e);
        }
    }
}
