package dev.sandpod.api;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;

/**
 * Counts the requests that a limit of their client refused, by limit: per API key id (whose values the operator's key
 * file bounds) or, for a client without a key, in one series. The counters are cached: under a flood, a registry
 * lookup by name and tags would cost each refusal more than the limit's own check.
 */
final class Refusals {
    private static final ConcurrentMap<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    private Refusals() {
    }

    /** A refusal by {@code limit} (rate, address, concurrency, quota) of the key {@code keyId}, null without one. */
    static void count(String keyId, String limit) {
        String key = keyId == null ? "-" : keyId;
        COUNTERS.computeIfAbsent(key + " " + limit, any -> Metrics.getOrCreate(Counter.builder("sandpod.key.refusals")
                .description("Requests refused 429 by a limit of their client, by API key id ('-' without a key) and"
                        + " limit: rate, address, concurrency or quota")
                .tags(List.of(Tag.create("key", key), Tag.create("limit", limit))))).increment();
    }
}
