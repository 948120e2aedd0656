package dev.sandpod.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalConfigTest {
    @Test
    void readsTheShippedConfig() {
        LocalConfig config = Jailed.shipped();
        assertEquals(Path.of("/usr/bin/bwrap"), config.bwrap());
        assertEquals(Path.of("/usr/bin/python3"), config.python());
        assertEquals("auto", config.cgroupVersion());
        assertEquals("sandpod", config.cgroupParent());
        assertEquals(65534, config.uid());
        assertTrue(config.hostUidMin() > 65535, "host uids stay clear of ordinary accounts");
        assertEquals(Duration.ofMillis(3000), config.deadlineMargin());
    }

    @Test
    void rejectsARootHostUidRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalConfig.from(local(Map.of("host-uid-min", "0"))));
        assertTrue(e.getMessage().contains("sandpod.local.host-uid-min"), e.getMessage());
    }

    @Test
    void rejectsRootInsideTheJail() {
        assertThrows(IllegalArgumentException.class, () -> LocalConfig.from(local(Map.of("uid", "0"))));
    }

    @Test
    void rejectsAnUnknownCgroupVersion() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalConfig.from(local(Map.of("cgroup-version", "v3"))));
        assertEquals("sandpod.local.cgroup-version must be auto, v1 or v2: v3", e.getMessage());
    }

    @Test
    void rejectsACgroupParentThatClimbs() {
        assertThrows(IllegalArgumentException.class, () -> LocalConfig.from(local(Map.of("cgroup-parent", "../x"))));
    }

    @Test
    void rejectsARelativeBwrapPath() {
        assertThrows(IllegalArgumentException.class, () -> LocalConfig.from(local(Map.of("bwrap", "bwrap"))));
    }

    @Test
    void namesAMissingKey() {
        Map<String, String> values = shipped();
        values.remove("sandpod.local.pool-size");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalConfig.from(Config.just(ConfigSources.create(values)).get("sandpod.local")));
        assertTrue(e.getMessage().contains("pool-size"), e.getMessage());
    }

    @Test
    void rejectsANonNumber() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalConfig.from(local(Map.of("pool-size", "many"))));
        assertTrue(e.getMessage().contains("pool-size"), e.getMessage());
    }

    private static Config local(Map<String, String> overrides) {
        Map<String, String> values = shipped();
        overrides.forEach((key, value) -> values.put("sandpod.local." + key, value));
        return Config.just(ConfigSources.create(values)).get("sandpod.local");
    }

    private static Map<String, String> shipped() {
        Map<String, String> values = new HashMap<>();
        Config.just(ConfigSources.classpath("application.yaml")).get("sandpod.local").asMap().get()
                .forEach(values::put);
        return values;
    }
}
