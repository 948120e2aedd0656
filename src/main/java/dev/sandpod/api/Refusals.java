package dev.sandpod.api;

/** Counts the requests that a limit of their client refused, by API key id ('-' without a key) and limit. */
final class Refusals {
    private Refusals() {
    }

    /** A refusal by {@code limit} (rate, address, concurrency, quota) of the key {@code keyId}, null without one. */
    static void count(String keyId, String limit) {
        Counters.add("sandpod.key.refusals", "Requests refused 429 by a limit of their client, by API key id ('-'"
                + " without a key) and limit: rate, address, concurrency or quota", 1,
                "key", keyId == null ? "-" : keyId, "limit", limit);
    }
}
