package dev.sandpod.reliability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Closed-loop clients that each send one run after another to {@code POST /v1/runs} for a while, with no pause between
 * a refusal and the next try: the harshest overload a fixed number of clients can make. Every answer is kept with its
 * latency, and {@link Figures} sums them up.
 *
 * <p>The clients run on virtual threads of the test's JVM, each on a {@link KeepAliveConnection} of its own.
 */
public final class Overload {
    private static final Pattern RUN_STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([a-z_]+)\"");

    /**
     * One answer: its HTTP status (-1 when none came), latency, Retry-After (or null), a 200's run status, and what
     * explains an odd one: the error when none came, the start of the body of a run that did not end ok.
     */
    public record Answer(int status, long nanos, String retryAfter, String runStatus, String note) {
        boolean refusal() {
            return status == 429 || status == 503;
        }
    }

    private Overload() {
    }

    /**
     * Runs {@code clients} clients against {@code POST path} of {@code server} for {@code duration}, each with a
     * keep-alive connection of its own and each request allowed {@code requestTimeout}, and returns every answer.
     */
    public static List<Answer> drive(InetSocketAddress server, String path, String body, int clients, Duration duration,
                                     Duration requestTimeout) throws InterruptedException {
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + duration.toNanos();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                threads.execute(() -> {
                    try (KeepAliveConnection connection = new KeepAliveConnection(server, path, body, requestTimeout)) {
                        while (System.nanoTime() - end < 0) {
                            answers.add(send(connection));
                        }
                    }
                });
            }
        }
        return List.copyOf(answers);
    }

    private static Answer send(KeepAliveConnection connection) {
        long start = System.nanoTime();
        try {
            KeepAliveConnection.Response response = connection.send();
            String runStatus = null;
            String note = null;
            if (response.status() == 200) {
                Matcher status = RUN_STATUS.matcher(response.body());
                runStatus = status.find() ? status.group(1) : "unparsed";
                if (!runStatus.equals("ok")) {
                    note = response.body().substring(0, Math.min(400, response.body().length()));
                }
            }
            return new Answer(response.status(), System.nanoTime() - start, response.retryAfter(), runStatus, note);
        } catch (IOException | RuntimeException e) {
            return new Answer(-1, System.nanoTime() - start, null, null, e.toString());
        }
    }

    /**
     * Prints {@code figures} as one JSON line and, when {@code outFile} is not null, appends the line to it (bench/run
     * removes the file before the run).
     */
    public static void record(Map<String, Object> figures, String outFile) throws IOException {
        String line = new ObjectMapper().writeValueAsString(figures);
        System.out.println("OVERLOAD " + line);
        if (outFile != null) {
            Files.writeString(Path.of(outFile), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    /**
     * What a load came to: answers by HTTP status and by run status, refusals without a Retry-After, answers of another
     * status or none, and latencies in milliseconds of the refusals and of the admitted runs.
     */
    public record Figures(int clients, long durationMs, int answers, Map<Integer, Integer> byStatus,
                          Map<String, Integer> byRunStatus, List<String> notOk, int refusalsWithoutRetryAfter,
                          List<Answer> unexpected,
                          double refusalMedianMs, double refusalP99Ms, double admittedMedianMs,
                          double admittedP99Ms, double admittedMaxMs) {

        public static Figures of(int clients, Duration duration, Collection<Answer> answers) {
            Map<Integer, Integer> byStatus = new TreeMap<>();
            Map<String, Integer> byRunStatus = new TreeMap<>();
            List<Long> refusals = new ArrayList<>();
            List<Long> admitted = new ArrayList<>();
            List<Answer> unexpected = new ArrayList<>();
            List<String> notOk = new ArrayList<>();
            int withoutRetryAfter = 0;
            for (Answer answer : answers) {
                byStatus.merge(answer.status(), 1, Integer::sum);
                if (answer.status() == 200) {
                    admitted.add(answer.nanos());
                    byRunStatus.merge(answer.runStatus(), 1, Integer::sum);
                    if (answer.note() != null && notOk.size() < 5) {
                        notOk.add(answer.note());
                    }
                } else if (answer.refusal()) {
                    refusals.add(answer.nanos());
                    if (answer.retryAfter() == null) {
                        withoutRetryAfter++;
                    }
                } else {
                    unexpected.add(answer);
                }
            }
            return new Figures(clients, duration.toMillis(), answers.size(), byStatus, byRunStatus, notOk, withoutRetryAfter,
                    unexpected.stream().limit(20).toList(), quantileMs(refusals, 0.5), quantileMs(refusals, 0.99),
                    quantileMs(admitted, 0.5), quantileMs(admitted, 0.99), quantileMs(admitted, 1.0));
        }

        public int count(int status) {
            return byStatus.getOrDefault(status, 0);
        }

        /** Runs answered 200 per second of load. */
        public double servedPerSecond() {
            return Math.round(count(200) * 100_000.0 / durationMs) / 100.0;
        }

        /** The figures without the sample of unexpected answers, for a JSON line. */
        public Map<String, Object> summary() {
            Map<String, Object> summary = new java.util.LinkedHashMap<>();
            summary.put("clients", clients);
            summary.put("durationMs", durationMs);
            summary.put("answers", answers);
            summary.put("byStatus", byStatus);
            summary.put("byRunStatus", byRunStatus);
            summary.put("notOkSample", notOk);
            summary.put("refusalsWithoutRetryAfter", refusalsWithoutRetryAfter);
            summary.put("unexpected", unexpected.size());
            summary.put("refusalMedianMs", refusalMedianMs);
            summary.put("refusalP99Ms", refusalP99Ms);
            summary.put("admittedMedianMs", admittedMedianMs);
            summary.put("admittedP99Ms", admittedP99Ms);
            summary.put("admittedMaxMs", admittedMaxMs);
            return summary;
        }

        /** Nearest-rank quantile, NaN for no samples. */
        private static double quantileMs(List<Long> nanos, double q) {
            if (nanos.isEmpty()) {
                return Double.NaN;
            }
            List<Long> sorted = nanos.stream().sorted().toList();
            int rank = (int) Math.ceil(q * sorted.size());
            return Math.round(sorted.get(Math.max(0, rank - 1)) / 1e4) / 100.0;
        }
    }
}
