package dev.sandpod.kube;

import java.util.List;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@code sandpod.kubernetes.runtimes} is read: strict inside each runtime, the default always first. */
class KubeRuntimesTest {
    @Test
    void runtimesAreListedDefaultFirstThenByName() {
        KubeRuntimes runtimes = read(Map.of("runtimes.a-first.image", "a:1"));
        assertEquals(List.of("python", "a-first", "python-scientific"), List.copyOf(runtimes.runtimes().keySet()));
        assertEquals("a:1", runtimes.image("a-first"));
    }

    @Test
    void unknownKeyInARuntimeIsRefusedWithItsName() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("runtimes.python-scientific.imagee", "x:1")));
        assertTrue(refused.getMessage().contains("sandpod.kubernetes.runtimes.python-scientific.imagee"),
                refused.getMessage());
    }

    @Test
    void packagesMustBePins() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("runtimes.python-scientific.packages.0", "numpy")));
        assertTrue(refused.getMessage().contains("name==version"), refused.getMessage());
    }

    @Test
    void theDefaultIsNotARuntimeOfItsOwn() {
        assertThrows(IllegalArgumentException.class, () -> read(Map.of("runtimes.python.image", "x:1")));
    }

    @Test
    void emptyImageLeavesARuntimeOut() {
        assertEquals(List.of("python"), List.copyOf(read(Map.of("runtimes.python-scientific.image", ""))
                .runtimes().keySet()));
    }

    private static KubeRuntimes read(Map<String, String> overrides) {
        Map<String, String> prefixed = new java.util.HashMap<>();
        overrides.forEach((key, value) -> prefixed.put("sandpod.kubernetes." + key, value));
        return KubeRuntimes.from(Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .sources(ConfigSources.create(prefixed), ConfigSources.classpath("application.yaml")).build()
                .get("sandpod.kubernetes"));
    }
}
