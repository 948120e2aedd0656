package dev.sandpod.access;

import java.time.Duration;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientBucketsTest {
    @Test
    @DisplayName("a client may send its burst at once, then waits for a token; other clients have their own bucket")
    void burstThenRefill() {
        ClientBuckets buckets = ClientBuckets.of(0.5, 3).orElseThrow();
        for (int remaining = 2; remaining >= 0; remaining--) {
            ClientBuckets.Quota quota = buckets.take("alice");
            assertTrue(quota.allowed());
            assertEquals(3, quota.limit());
            assertEquals(remaining, quota.remaining());
        }
        ClientBuckets.Quota refused = buckets.take("alice");
        assertFalse(refused.allowed());
        assertEquals(0, refused.remaining());
        // one token every 2 s at 0.5/s; the whole burst in 6 s
        assertTrue(refused.untilNext().compareTo(Duration.ofSeconds(2)) <= 0 && !refused.untilNext().isZero(),
                refused.toString());
        assertEquals(Duration.ofSeconds(6), refused.window());
        assertTrue(buckets.take("bob").allowed());
    }

    @Test
    @DisplayName("only the most recently seen clients keep a bucket, so new addresses cannot grow the heap")
    void bucketsAreBounded() {
        ClientBuckets buckets = ClientBuckets.of(0.001, 1).orElseThrow();
        assertTrue(buckets.take("first").allowed());
        assertFalse(buckets.take("first").allowed());
        for (int i = 0; i < ClientBuckets.MAX_CLIENTS; i++) {
            buckets.take("client-" + i);
        }
        assertTrue(buckets.take("first").allowed(), "the eldest client's bucket was dropped, and it starts full");
    }

    @Test
    @DisplayName("a rate of 0 turns the limit off, and negative settings are refused")
    void zeroIsOff() {
        assertTrue(ClientBuckets.of(0, 40).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> ClientBuckets.of(-1, 40));
        assertThrows(IllegalArgumentException.class, () -> ClientBuckets.of(1, -1));
    }
}
