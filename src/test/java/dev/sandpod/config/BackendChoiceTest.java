package dev.sandpod.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BackendChoiceTest {
    @Test
    void explicitChoicesAreTaken(@TempDir Path home) {
        assertEquals(BackendChoice.LOCAL, BackendChoice.resolve("local", Map.of(), home));
        assertEquals(BackendChoice.KUBERNETES, BackendChoice.resolve("kubernetes", Map.of(), home));
    }

    @Test
    void autoIsLocalWithoutClusterOrKubeconfig(@TempDir Path home) {
        assertEquals(BackendChoice.LOCAL, BackendChoice.resolve("auto", Map.of(), home));
    }

    @Test
    void autoIsKubernetesWithAKubeconfigInHome(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve(".kube"));
        Files.writeString(home.resolve(".kube/config"), "apiVersion: v1\nkind: Config\n");
        assertEquals(BackendChoice.KUBERNETES, BackendChoice.resolve("auto", Map.of(), home));
    }

    @Test
    void autoFollowsKubeconfigVariable(@TempDir Path home) throws Exception {
        Path file = Files.writeString(home.resolve("kc"), "apiVersion: v1\nkind: Config\n");
        assertEquals(BackendChoice.KUBERNETES, BackendChoice.resolve("auto",
                Map.of("KUBECONFIG", "/nonexistent:" + file), home));
        assertEquals(BackendChoice.LOCAL, BackendChoice.resolve("auto", Map.of("KUBECONFIG", "/nonexistent"), home));
    }

    @Test
    void unknownBackendFails(@TempDir Path home) {
        assertThrows(InvalidConfigException.class, () -> BackendChoice.resolve("docker", Map.of(), home));
    }
}
