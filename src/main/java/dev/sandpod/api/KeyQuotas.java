package dev.sandpod.api;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;

import io.helidon.config.Config;

import dev.sandpod.run.RunResult;

/**
 * The limits of one API key besides its rate: how many of its runs may be in sandboxes or queued at once, so that one
 * key cannot take a replica's every sandbox, and how many CPU-seconds its runs may use in a UTC day. Each replica
 * counts on its own and from its start: with N replicas a key may get up to N times the daily quota. A run is
 * admitted while the key has used less than its quota, so its last run of the day may take it past.
 */
final class KeyQuotas {
    private final int maxConcurrent;
    private final long dailyCpuMs;
    private final Clock clock;
    private final ConcurrentMap<String, Semaphore> running = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, DailyUse> used = new ConcurrentHashMap<>();

    /** The CPU time of one key's runs on one day. */
    private record DailyUse(LocalDate day, long cpuMs) {
        DailyUse plus(LocalDate today, long moreMs) {
            return new DailyUse(today, today.equals(day) ? cpuMs + moreMs : moreMs);
        }
    }

    /** {@code maxConcurrent} 0 and {@code dailyCpuSeconds} 0 each turn that limit off. */
    KeyQuotas(int maxConcurrent, long dailyCpuSeconds, Clock clock) {
        if (maxConcurrent < 0 || dailyCpuSeconds < 0) {
            throw new IllegalArgumentException("key-max-concurrent and key-daily-cpu-seconds must be 0 or more: "
                    + maxConcurrent + ", " + dailyCpuSeconds);
        }
        this.maxConcurrent = maxConcurrent;
        this.dailyCpuMs = dailyCpuSeconds * 1000;
        this.clock = clock;
    }

    static KeyQuotas from(Config admission) {
        return new KeyQuotas(admission.get("key-max-concurrent").asInt().get(),
                admission.get("key-daily-cpu-seconds").asLong().get(), Clock.systemUTC());
    }

    /** Runs {@code run} for the key {@code keyId} within its limits and charges it the run's CPU time; null: no key. */
    RunResult admit(String keyId, Callable<RunResult> run) throws Exception {
        if (keyId == null) {
            return run.call();
        }
        LocalDate today = LocalDate.now(clock);
        if (dailyCpuMs > 0 && cpuMsUsed(keyId, today) >= dailyCpuMs) {
            Duration untilMidnight = Duration.between(clock.instant(),
                    today.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC));
            throw refused(keyId, "quota", ApiException.keyLimited("the API key " + keyId + " has used its "
                    + dailyCpuMs / 1000 + " CPU-seconds of today (UTC) on this replica", untilMidnight));
        }
        Semaphore slots = maxConcurrent > 0 ? running.computeIfAbsent(keyId, id -> new Semaphore(maxConcurrent)) : null;
        if (slots != null && !slots.tryAcquire()) {
            throw refused(keyId, "concurrency", ApiException.keyLimited("the API key " + keyId + " has "
                    + maxConcurrent + " runs in flight on this replica, its most at once", Duration.ofSeconds(1)));
        }
        try {
            RunResult result = run.call();
            used.merge(keyId, new DailyUse(today, result.cpuMs()), (before, now) -> before.plus(today, now.cpuMs()));
            return result;
        } finally {
            if (slots != null) {
                slots.release();
            }
        }
    }

    private long cpuMsUsed(String keyId, LocalDate today) {
        DailyUse use = used.get(keyId);
        return use == null || !use.day().equals(today) ? 0 : use.cpuMs();
    }

    private static ApiException refused(String keyId, String limit, ApiException refusal) {
        Refusals.count(keyId, limit);
        return refusal;
    }
}
