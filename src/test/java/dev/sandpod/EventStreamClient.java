package dev.sandpod;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real server-sent-events client over the JDK's HttpClient: it reads the response line by line as the bytes arrive,
 * parses events as the SSE specification frames them, and notes when each one came, so that a test can tell a stream
 * from an answer sent whole at the end.
 */
public final class EventStreamClient {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public EventStreamClient(String base) {
        this.base = base;
    }

    /** One event; {@code data} parsed as JSON, {@code arrivedNanos} the {@link System#nanoTime} it was read at. */
    public record Event(String id, String name, JsonNode data, long arrivedNanos) {
        public String text(String field) {
            return data.path(field).asText();
        }
    }

    /** What a stream answered: its status and content type, and the events read (the body, when it is not a stream). */
    public record Streamed(int status, String contentType, List<Event> events, String body) {
        public List<Event> named(String name) {
            return events.stream().filter(event -> event.name().equals(name)).toList();
        }

        /** The texts of the events of {@code stream}, joined in order. */
        public String joined(String stream) {
            return String.join("", named(stream).stream().map(event -> event.text("text")).toList());
        }

        public Event result() {
            List<Event> results = named("result");
            if (results.size() != 1 || !events.getLast().name().equals("result")) {
                throw new AssertionError("not one result event at the end: " + events);
            }
            return results.getFirst();
        }
    }

    /** POSTs {@code body} to {@code path} asking for events, and reads them to the stream's end. */
    public Streamed post(String path, Object body, Map<String, String> headers) throws IOException, InterruptedException {
        return read(request(path, headers).POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body))),
                event -> false);
    }

    /** GETs {@code path} asking for events, and reads them to the stream's end. */
    public Streamed get(String path, Map<String, String> headers) throws IOException, InterruptedException {
        return read(request(path, headers).GET(), event -> false);
    }

    /** POSTs, and hangs up as soon as an event matches {@code hangUpAfter}: a client that goes away mid-run. */
    public Streamed postAndHangUp(String path, Object body, Predicate<Event> hangUpAfter)
            throws IOException, InterruptedException {
        return read(request(path, Map.of()).POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body))),
                hangUpAfter);
    }

    private HttpRequest.Builder request(String path, Map<String, String> headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path))
                .header("Accept", "text/event-stream")
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60));
        headers.forEach(builder::header);
        return builder;
    }

    private Streamed read(HttpRequest.Builder request, Predicate<Event> hangUpAfter) throws IOException, InterruptedException {
        HttpResponse<java.util.stream.Stream<String>> response = client.send(request.build(),
                HttpResponse.BodyHandlers.ofLines());
        String type = response.headers().firstValue("Content-Type").orElse("");
        List<Event> events = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        try (java.util.stream.Stream<String> lines = response.body()) {
            if (!type.startsWith("text/event-stream")) {
                lines.forEach(line -> body.append(line).append('\n'));
                return new Streamed(response.statusCode(), type, events, body.toString());
            }
            Iterator<String> it = lines.iterator();
            String id = null;
            String name = "message";
            StringBuilder data = new StringBuilder();
            while (it.hasNext()) {
                String line = it.next();
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        Event event = new Event(id, name, MAPPER.readTree(data.toString()), System.nanoTime());
                        events.add(event);
                        if (hangUpAfter.test(event)) {
                            break;
                        }
                    }
                    id = null;
                    name = "message";
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = field(line);
                } else if (line.startsWith("event:")) {
                    name = field(line);
                } else if (line.startsWith("data:")) {
                    data.append(data.isEmpty() ? "" : "\n").append(field(line));
                }
            }
        }
        return new Streamed(response.statusCode(), type, events, body.toString());
    }

    /** A field's value: after the colon, less one leading space, as the SSE specification reads it. */
    private static String field(String line) {
        String value = line.substring(line.indexOf(':') + 1);
        return value.startsWith(" ") ? value.substring(1) : value;
    }
}
