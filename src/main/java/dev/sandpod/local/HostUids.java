package dev.sandpod.local;

import java.util.BitSet;

/**
 * Hands out the unprivileged host uids jails run as when the service is root, one per live jail.
 *
 * <p>A uid of its own per jail means two jails' processes share no kernel identity: they cannot signal, ptrace or
 * open each other's files even if a namespace failed, and per-user kernel limits ({@code RLIMIT_NPROC}, inotify
 * and key quotas) count per run. Leases go round-robin, so a uid is reused as late as possible; a jail releases its
 * uid only once its cgroup is empty, and a uid whose processes could not be confirmed gone is never released.
 */
final class HostUids {
    private final int min;
    private final BitSet leased;
    private final int count;
    private int next;

    HostUids(int min, int max) {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("host uid range must be unprivileged and non-empty: " + min + "-" + max);
        }
        this.min = min;
        this.count = max - min + 1;
        this.leased = new BitSet(count);
    }

    /** A free uid, or -1 when every uid of the range is in use. */
    synchronized int lease() {
        int free = leased.nextClearBit(next);
        if (free >= count) {
            free = leased.nextClearBit(0);
        }
        if (free >= count) {
            return -1;
        }
        leased.set(free);
        next = free + 1 == count ? 0 : free + 1;
        return min + free;
    }

    synchronized void release(int uid) {
        leased.clear(uid - min);
    }
}
