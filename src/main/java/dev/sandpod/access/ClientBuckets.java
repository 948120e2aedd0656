package dev.sandpod.access;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;

/**
 * A token bucket per client (an API key's id, or an address): {@code burst} requests at once, refilled continuously at
 * {@code ratePerSecond}. Only the most recently seen clients keep a bucket, so a flood of new addresses cannot grow the
 * heap; a forgotten client comes back with a full bucket, which only a client idle for that long gets anyway.
 */
public final class ClientBuckets {
    /** Clients with a bucket at once; the least recently seen one's is dropped first. */
    static final int MAX_CLIENTS = 10_000;

    private final Bandwidth bandwidth;
    private final Duration window;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Bucket> buckets = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > MAX_CLIENTS;
        }
    };

    /** A quota's state after one request took, or failed to take, a token from it. */
    public record Quota(boolean allowed, long limit, long remaining, Duration untilFull, Duration untilNext, Duration window) {
    }

    private ClientBuckets(long burst, double ratePerSecond) {
        // refilling the whole burst in burst/rate seconds, greedily (token by token), averages to the rate
        this.window = Duration.ofNanos((long) (burst / ratePerSecond * 1e9));
        this.bandwidth = Bandwidth.builder().capacity(burst).refillGreedy(burst, window).build();
    }

    /** Buckets of {@code burst} (at least 1) at {@code ratePerSecond}; none when the rate is 0, which turns them off. */
    public static Optional<ClientBuckets> of(double ratePerSecond, int burst) {
        if (ratePerSecond < 0 || burst < 0) {
            throw new IllegalArgumentException("a rate limit needs a rate and a burst of 0 or more: " + ratePerSecond
                    + ", " + burst);
        }
        return ratePerSecond == 0 ? Optional.empty()
                : Optional.of(new ClientBuckets(Math.max(1, burst), ratePerSecond));
    }

    /** Takes one token of {@code client}'s bucket if it has one. */
    public Quota take(String client) {
        ConsumptionProbe probe = bucketOf(client).tryConsumeAndReturnRemaining(1);
        return new Quota(probe.isConsumed(), bandwidth.getCapacity(), probe.getRemainingTokens(),
                Duration.ofNanos(probe.getNanosToWaitForReset()), Duration.ofNanos(probe.getNanosToWaitForRefill()),
                window);
    }

    private Bucket bucketOf(String client) {
        lock.lock();
        try {
            return buckets.computeIfAbsent(client, any -> Bucket.builder().addLimit(bandwidth).build());
        } finally {
            lock.unlock();
        }
    }
}
