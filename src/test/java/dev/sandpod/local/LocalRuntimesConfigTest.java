package dev.sandpod.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import dev.sandpod.config.AppConfig;
import dev.sandpod.run.PythonRuntime;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@code sandpod.local.runtimes} is read and checked, and what an interpreter says of itself. */
class LocalRuntimesConfigTest {
    @Test
    void shippedRuntimesAreTheSystemPythonTwice() {
        LocalRuntimes runtimes = read(Map.of());
        assertEquals(Map.of("python", Path.of("/usr/bin/python3"), "python-scientific", Path.of("/usr/bin/python3")),
                runtimes.interpreters());
        assertEquals(List.of("python", "python-scientific"), List.copyOf(runtimes.interpreters().keySet()));
    }

    @Test
    void unknownKeyInARuntimeIsRefusedWithItsName() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("runtimes.python-scientific.pyhton", "/usr/bin/python3")));
        assertTrue(refused.getMessage().contains("sandpod.local.runtimes.python-scientific.pyhton"), refused.getMessage());
    }

    @Test
    void emptyPythonLeavesARuntimeOut() {
        assertEquals(List.of("python"), List.copyOf(read(Map.of("runtimes.python-scientific.python", ""))
                .interpreters().keySet()));
    }

    @Test
    @DisplayName("the environment can leave a shipped runtime out, through the strict loader")
    void environmentLeavesARuntimeOut() {
        Config loaded = AppConfig.load(Map.of("SANDPOD_LOCAL_RUNTIMES_PYTHON_SCIENTIFIC_PYTHON", ""));
        assertEquals(List.of("python"), List.copyOf(LocalRuntimes.from(loaded.get("sandpod.local")).interpreters().keySet()));
    }

    @Test
    @DisplayName("an interpreter outside /usr, which no jail could see, makes the backend unready with the runtime's name")
    void interpreterOutsideUsrIsAHostReason(@TempDir Path temp) throws Exception {
        Path outside = Files.createFile(temp.resolve("python3"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        String reason = new LocalRuntimes(Map.of("python", Path.of("/usr/bin/python3"), "elsewhere", outside))
                .hostReason();
        assertEquals("the python of runtime elsewhere (" + outside + ") resolves outside /usr, the only host tree a jail"
                + " sees", reason);
        assertNull(LocalRuntimes.only(Path.of("/usr/bin/python3")).hostReason());
    }

    @Test
    @DisplayName("the probe reports the interpreter's own version and the distributions it can import")
    void probeAsksTheInterpreter() throws Exception {
        PythonRuntime python = LocalRuntimes.only(Path.of("/usr/bin/python3")).probe().getFirst();
        assertEquals("python", python.name());
        assertTrue(python.pythonVersion().matches("3\\.\\d+\\.\\d+"), python.pythonVersion());
        assertTrue(python.packages().stream().anyMatch(pkg -> pkg.name().equals("numpy")), python.packages().toString());
    }

    private static LocalRuntimes read(Map<String, String> overrides) {
        Map<String, String> prefixed = new java.util.HashMap<>();
        overrides.forEach((key, value) -> prefixed.put("sandpod.local." + key, value));
        return LocalRuntimes.from(Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .sources(ConfigSources.create(prefixed), ConfigSources.classpath("application.yaml")).build()
                .get("sandpod.local"));
    }
}
