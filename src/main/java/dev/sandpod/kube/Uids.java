package dev.sandpod.kube;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out sandbox UIDs from {@code [min, max]} round robin from a random start, so that pods of one replica never share a
 * UID until the range wraps, and replicas rarely collide. A distinct UID keeps RLIMIT_NPROC, which the kernel counts per
 * UID across the node, from being shared between sandboxes.
 */
final class Uids {
    private final int min;
    private final long span;
    private final AtomicLong next;

    Uids(int min, int max, long start) {
        this.min = min;
        this.span = (long) max - min + 1;
        this.next = new AtomicLong(Math.floorMod(start, span));
    }

    int next() {
        return (int) (min + Math.floorMod(next.getAndIncrement(), span));
    }
}
