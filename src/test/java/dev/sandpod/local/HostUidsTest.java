package dev.sandpod.local;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostUidsTest {
    @Test
    void leasesAreDistinctUntilTheRangeRunsOut() {
        HostUids uids = new HostUids(1000, 1003);
        Set<Integer> leased = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            assertTrue(leased.add(uids.lease()));
        }
        assertEquals(Set.of(1000, 1001, 1002, 1003), leased);
        assertEquals(-1, uids.lease());
    }

    @Test
    void aReleasedUidIsReusedLast() {
        HostUids uids = new HostUids(1000, 1003);
        int first = uids.lease();
        uids.release(first);
        assertEquals(1001, uids.lease(), "round-robin: the next uid, not the one just released");
        assertEquals(1002, uids.lease());
        assertEquals(1003, uids.lease());
        assertEquals(1000, uids.lease());
    }

    @Test
    void rejectsRoot() {
        assertThrows(IllegalArgumentException.class, () -> new HostUids(0, 10));
    }
}
