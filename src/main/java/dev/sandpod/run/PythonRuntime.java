package dev.sandpod.run;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named runtime as {@code GET /v1/runtimes} lists it: the Python it runs and the packages it offers.
 *
 * @param pythonVersion the interpreter's version ({@code 3.11.2}), or what the operator configured for an image
 * @param packages      the distributions it can import, by name, each with its version
 */
public record PythonRuntime(String name, String pythonVersion, List<Package> packages) {
    /** The runtime of a run that names none, backed by {@code sandpod.local.python} or {@code sandpod.kubernetes.image}. */
    public static final String DEFAULT = "python";
    /** A DNS label, so that a name can also label a pod and name an image's folder. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public PythonRuntime {
        requireName(name);
        Objects.requireNonNull(pythonVersion, "pythonVersion");
        packages = List.copyOf(packages);
    }

    /** Checks a configured runtime name: the config's own key, so a bad one fails start-up with the key. */
    public static String requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a runtime name must be a DNS label (a-z, 0-9, -): " + name);
        }
        return name;
    }

    /**
     * The runtimes by name, the default first and the others sorted, so that listings and refusals read the same every
     * time; fails when the default is missing.
     */
    public static <V> Map<String, V> defaultFirst(Map<String, V> byName) {
        if (!byName.containsKey(DEFAULT)) {
            throw new IllegalArgumentException("the runtimes lack the default " + DEFAULT + ": " + byName.keySet());
        }
        Map<String, V> ordered = new LinkedHashMap<>();
        ordered.put(DEFAULT, byName.get(DEFAULT));
        byName.keySet().stream().sorted().forEach(name -> ordered.put(requireName(name), byName.get(name)));
        return Collections.unmodifiableMap(ordered);
    }

    /** One installed distribution. */
    public record Package(String name, String version) {
        public Package {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
        }
    }
}
