package dev.sandpod.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.helidon.config.Config;

import dev.sandpod.run.PythonRuntime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The local backend's runtimes: each name with the interpreter its programs run with. The default {@code python} is
 * {@code sandpod.local.python}; each {@code sandpod.local.runtimes.<name>.python} adds one. Every interpreter must lie
 * under /usr, the only host tree a jail sees, so a runtime is a system python3 or a venv made under /usr. A runtime whose
 * python is empty is left out.
 *
 * @param interpreters the interpreter of each runtime, the default first
 */
public record LocalRuntimes(Map<String, Path> interpreters) {
    private static final Set<String> RUNTIME_KEYS = Set.of("python");
    /**
     * The probe's answer must fit in a pipe's buffer (64 KiB on Linux), since it is read once the interpreter has exited
     * within the timeout: a hung or flooding interpreter then fails the start-up instead of stalling it.
     */
    private static final int MAX_PROBE_BYTES = 1 << 16;
    private static final long PROBE_TIMEOUT_SECONDS = 20;
    /** At most this many packages are listed per runtime, so that a crowded site-packages cannot bloat the list. */
    private static final int MAX_PACKAGES = 400;
    /**
     * Asked of each interpreter as the jail runs programs (isolated: no environment, no user site): its version and
     * the distributions it can import. The probe is our own code run by the operator's interpreter, never a user's.
     */
    private static final String PROBE = """
            import importlib.metadata, json, platform
            seen = {}
            for dist in importlib.metadata.distributions():
                name = dist.metadata["Name"]
                if name and name.lower() not in seen:
                    seen[name.lower()] = [name, dist.version]
            listed = sorted(seen.values(), key=lambda p: p[0].lower())[:%d]
            print(json.dumps({"version": platform.python_version(), "packages": listed}))
            """.formatted(MAX_PACKAGES);

    public LocalRuntimes {
        interpreters = PythonRuntime.defaultFirst(interpreters);
        interpreters.forEach((name, python) -> {
            if (!python.isAbsolute()) {
                throw new IllegalArgumentException("the python of runtime " + name + " must be an absolute path: " + python);
            }
        });
    }

    /** Only the default runtime, run by {@code python}. */
    public static LocalRuntimes only(Path python) {
        return new LocalRuntimes(Map.of(PythonRuntime.DEFAULT, python));
    }

    /** Reads {@code sandpod.local.python} and {@code sandpod.local.runtimes}; an unknown key fails with its name. */
    public static LocalRuntimes from(Config local) {
        Map<String, Path> interpreters = new LinkedHashMap<>();
        interpreters.put(PythonRuntime.DEFAULT, Path.of(local.get("python").asString().get()));
        for (Config runtime : local.get("runtimes").asNodeList().orElse(List.of())) {
            String name = runtime.name();
            if (name.equals(PythonRuntime.DEFAULT)) {
                throw new IllegalArgumentException(runtime.key() + ": the default runtime's python is "
                        + local.key() + ".python");
            }
            for (Config key : runtime.asNodeList().orElse(List.of())) {
                if (!RUNTIME_KEYS.contains(key.name())) {
                    throw new IllegalArgumentException("unknown key " + key.key() + "; a local runtime has " + RUNTIME_KEYS);
                }
            }
            String python = runtime.get("python").asString().orElse("");
            if (!python.isEmpty()) { // an override cannot delete a bundled runtime, so an empty python leaves it out
                interpreters.put(name, Path.of(python));
            }
        }
        return new LocalRuntimes(interpreters);
    }

    /** The interpreter of a runtime the parser accepted. */
    Path python(String runtime) {
        Path python = interpreters.get(runtime);
        if (python == null) {
            throw new IllegalArgumentException("unknown runtime " + runtime);
        }
        return python;
    }

    /** Why some runtime's interpreter cannot run in a jail, or null when each can. */
    String hostReason() {
        for (Map.Entry<String, Path> runtime : interpreters.entrySet()) {
            Path python = runtime.getValue();
            String which = "the python of runtime " + runtime.getKey() + " (" + python + ")";
            if (!Files.isExecutable(python)) {
                return which + " is not an executable file";
            }
            try {
                if (!python.toRealPath().startsWith("/usr/")) {
                    return which + " resolves outside /usr, the only host tree a jail sees";
                }
            } catch (IOException e) {
                return which + " cannot be resolved: " + e.getMessage();
            }
        }
        return null;
    }

    /** What each runtime's interpreter has, asked of the interpreter itself; the default first. */
    List<PythonRuntime> probe() throws IOException, InterruptedException {
        List<PythonRuntime> listed = new ArrayList<>();
        for (Map.Entry<String, Path> runtime : interpreters.entrySet()) {
            listed.add(probe(runtime.getKey(), runtime.getValue()));
        }
        return listed;
    }

    /** The names alone, for a backend that could not start: the API still knows which runtimes exist. */
    List<PythonRuntime> unprobed() {
        return interpreters.keySet().stream().map(name -> new PythonRuntime(name, "", List.of())).toList();
    }

    private static PythonRuntime probe(String name, Path python) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(python.toString(), "-I", "-c", PROBE)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().clear();
        Process process = builder.start();
        try (InputStream out = process.getInputStream()) {
            if (!process.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("cannot ask " + python + " (runtime " + name + ") for its version and packages"
                        + " within " + PROBE_TIMEOUT_SECONDS + " s");
            }
            byte[] answer = out.readNBytes(MAX_PROBE_BYTES);
            JsonNode probed = new ObjectMapper().readTree(new String(answer, StandardCharsets.UTF_8));
            List<PythonRuntime.Package> packages = new ArrayList<>();
            probed.path("packages").forEach(pkg -> packages.add(
                    new PythonRuntime.Package(pkg.path(0).asText(), pkg.path(1).asText())));
            return new PythonRuntime(name, probed.path("version").asText(), packages);
        } finally {
            // reaped before it returns: a probe stopped by an interrupt must leave no process behind
            process.destroyForcibly();
            process.onExit().join();
        }
    }
}
