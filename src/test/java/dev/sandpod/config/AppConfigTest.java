package dev.sandpod.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.helidon.config.Config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AppConfigTest {
    @Test
    void bundledDefaultsLoadWithNoEnvironment() {
        Config config = AppConfig.load(Map.of());
        assertEquals(8080, config.get("server.port").asInt().get());
        assertEquals("auto", config.get("sandpod.backend").asString().get());
        assertEquals(2000, config.get("sandpod.limits.default-timeout-ms").asInt().get());
    }

    @Test
    void environmentVariableOverridesAKeyWithDashes() {
        Config config = AppConfig.load(Map.of("SANDPOD_LIMITS_MAX_TIMEOUT_MS", "5000", "SERVER_PORT", "9090",
                "SANDPOD_BACKEND", "local"));
        assertEquals(5000, config.get("sandpod.limits.max-timeout-ms").asInt().get());
        assertEquals(9090, config.get("server.port").asInt().get());
        assertEquals("local", config.get("sandpod.backend").asString().get());
    }

    @Test
    void unknownSandpodVariableFailsTheStart() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> AppConfig.load(Map.of("SANDPOD_LIMITS_MAX_TIMEOUTMS", "5000")));
        assertTrue(e.getMessage().contains("SANDPOD_LIMITS_MAX_TIMEOUTMS"), e.getMessage());
    }

    @Test
    void operatorFileOverridesBundledAndUnknownKeysInItFail(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, "sandpod:\n  limits:\n    max-memory-mb: 256\n  kubernetes:\n    labels:\n      team: a\n");
        Config config = AppConfig.load(Map.of(AppConfig.FILE_VARIABLE, good.toString()));
        assertEquals(256, config.get("sandpod.limits.max-memory-mb").asInt().get());
        assertEquals("a", config.get("sandpod.kubernetes.labels.team").asString().get());

        Path typo = dir.resolve("typo.yaml");
        Files.writeString(typo, "sandpod:\n  limits:\n    max-memory: 256\n");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> AppConfig.load(Map.of(AppConfig.FILE_VARIABLE, typo.toString())));
        assertTrue(e.getMessage().contains("sandpod.limits.max-memory"), e.getMessage());
    }

    @Test
    void environmentWinsOverTheOperatorFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.yaml");
        Files.writeString(file, "sandpod:\n  backend: kubernetes\n");
        Config config = AppConfig.load(Map.of(AppConfig.FILE_VARIABLE, file.toString(), "SANDPOD_BACKEND", "local"));
        assertEquals("local", config.get("sandpod.backend").asString().get());
    }

    @Test
    void missingOperatorFileFailsClearly() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> AppConfig.load(Map.of(AppConfig.FILE_VARIABLE, "/nonexistent/sandpod.yaml")));
        assertTrue(e.getMessage().contains("/nonexistent/sandpod.yaml"), e.getMessage());
    }
}
