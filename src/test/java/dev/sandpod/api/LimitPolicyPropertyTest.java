package dev.sandpod.api;

import dev.sandpod.run.Limits;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LimitPolicy takes exactly the configurations whose defaults lie within their bounds, and a policy it took turns every
 * in-range request into Limits without a failure: a bad config stops the start, never a later request.
 */
class LimitPolicyPropertyTest {
    @Property(tries = 3000)
    void takesConsistentConfigsAndRefusesTheRest(@ForAll("settings") int maxCode, @ForAll("settings") int maxInput,
            @ForAll("settings") int defaultTimeout, @ForAll("settings") int maxTimeout, @ForAll("settings") int defaultMemory,
            @ForAll("settings") int minMemory, @ForAll("settings") int maxMemory, @ForAll("settings") int maxProcs,
            @ForAll("settings") int maxArgs) {
        boolean consistent = maxCode >= 1 && maxInput >= 1 && maxTimeout >= 1 && minMemory >= 1 && maxProcs >= 1
                && defaultTimeout >= 1 && defaultTimeout <= maxTimeout && defaultMemory >= minMemory
                && defaultMemory <= maxMemory && maxArgs >= 0;
        LimitPolicy policy;
        try {
            policy = new LimitPolicy(maxCode, maxInput, defaultTimeout, maxTimeout, defaultMemory, minMemory, maxMemory,
                    65536, 16 << 20, maxProcs, maxArgs, 32, 1 << 20, 32, 64, 4 << 20);
        } catch (IllegalArgumentException e) {
            assertFalse(consistent, e.getMessage());
            return;
        }
        assertTrue(consistent);
        Limits defaults = policy.defaults();
        assertEquals(defaultTimeout, defaults.timeMs());
        assertEquals(defaultMemory, defaults.memoryMb());
        for (int timeMs : new int[]{1, defaultTimeout, maxTimeout}) {
            for (int memoryMb : new int[]{minMemory, defaultMemory, maxMemory}) {
                Limits limits = policy.limits(timeMs, memoryMb);
                assertEquals(timeMs, limits.cpuMs());
            }
        }
    }

    @Provide
    Arbitrary<Integer> settings() {
        return Arbitraries.oneOf(Arbitraries.of(Integer.MIN_VALUE, -1, 0, 1, 2, 16, 128, 512, Integer.MAX_VALUE),
                Arbitraries.integers().between(-5, 600));
    }
}
