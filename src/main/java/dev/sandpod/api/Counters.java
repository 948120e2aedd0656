package dev.sandpod.api;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;

/**
 * The API's counters, each series looked up in the registry once: a lookup by name and tags costs a request more than
 * the key check and both token buckets together (bench/RESULTS.md), and runs and refusals are counted on every request.
 * Tag values must be bounded by the caller: statuses, limits, reasons, or key ids of the operator's key file.
 */
final class Counters {
    private static final ConcurrentMap<List<Object>, Counter> SERIES = new ConcurrentHashMap<>();

    private Counters() {
    }

    /** Adds {@code amount} to the series of {@code name} with {@code tags}, given as name, value, name, value. */
    static void add(String name, String description, long amount, String... tags) {
        SERIES.computeIfAbsent(List.of(name, List.of(tags)), any -> {
            Tag[] built = new Tag[tags.length / 2];
            for (int i = 0; i < built.length; i++) {
                built[i] = Tag.create(tags[2 * i], tags[2 * i + 1]);
            }
            return Metrics.getOrCreate(Counter.builder(name).description(description).tags(List.of(built)));
        }).increment(amount);
    }
}
