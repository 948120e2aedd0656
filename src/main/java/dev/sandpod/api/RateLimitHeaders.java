package dev.sandpod.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.sandpod.access.ClientBuckets;

/**
 * A token bucket's state as the {@code RateLimit-*} headers of the IETF httpapi draft: the burst a client may send at
 * once, what is left of it, the seconds until the bucket is full again, and the policy as burst and window.
 */
final class RateLimitHeaders {
    private RateLimitHeaders() {
    }

    static Map<String, String> of(ClientBuckets.Quota quota) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("RateLimit-Limit", String.valueOf(quota.limit()));
        headers.put("RateLimit-Remaining", String.valueOf(quota.remaining()));
        headers.put("RateLimit-Reset", String.valueOf(wholeSecondsUp(quota.untilFull())));
        headers.put("RateLimit-Policy", quota.limit() + ";w=" + wholeSecondsUp(quota.window()));
        return headers;
    }

    /** At least 1: a client told 0 would retry at once. */
    static long wholeSecondsUp(Duration duration) {
        return Math.max(1, (duration.toNanos() + 999_999_999) / 1_000_000_000);
    }
}
