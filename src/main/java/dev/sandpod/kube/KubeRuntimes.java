package dev.sandpod.kube;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.helidon.config.Config;

import dev.sandpod.run.PythonRuntime;

/**
 * The Kubernetes backend's runtimes: each an image. The default {@code python} is {@code sandpod.kubernetes.image}, with
 * the version {@code sandpod.kubernetes.python-version}; each {@code sandpod.kubernetes.runtimes.<name>} adds one with
 * its {@code image}, {@code python-version} and {@code packages} ({@code name==version} each). The service cannot look
 * inside an image, so what the listing says is what the operator configured (the chart's values, which the images/
 * Dockerfiles pin). A runtime whose image is empty is left out.
 *
 * @param runtimes each runtime by name, the default first
 */
public record KubeRuntimes(Map<String, Entry> runtimes) {
    private static final Set<String> RUNTIME_KEYS = Set.of("image", "python-version", "packages");

    /** One runtime: the image its pods run, and what the API lists of it. */
    public record Entry(String image, PythonRuntime listing) {
        public Entry {
            if (image == null || image.isBlank()) {
                throw new IllegalArgumentException("the image of runtime " + listing.name() + " must not be empty");
            }
        }
    }

    public KubeRuntimes {
        runtimes = PythonRuntime.defaultFirst(runtimes);
    }

    /** The default runtime alone, as {@code image}; its version unknown. */
    public static KubeRuntimes only(String image) {
        return new KubeRuntimes(Map.of(PythonRuntime.DEFAULT,
                new Entry(image, new PythonRuntime(PythonRuntime.DEFAULT, "", List.of()))));
    }

    /**
     * Reads the runtimes from the {@code sandpod.kubernetes} node.
     *
     * @throws IllegalArgumentException naming the key when a runtime is incomplete or has an unknown key
     */
    public static KubeRuntimes from(Config kubernetes) {
        Map<String, Entry> runtimes = new LinkedHashMap<>();
        runtimes.put(PythonRuntime.DEFAULT, new Entry(kubernetes.get("image").asString().orElse(""),
                new PythonRuntime(PythonRuntime.DEFAULT, kubernetes.get("python-version").asString().orElse(""),
                        List.of())));
        for (Config node : kubernetes.get("runtimes").asNodeList().orElse(List.of())) {
            String name = PythonRuntime.requireName(node.name());
            if (name.equals(PythonRuntime.DEFAULT)) {
                throw new IllegalArgumentException(node.key() + ": the default runtime's image is " + kubernetes.key()
                        + ".image");
            }
            for (Config key : node.asNodeList().orElse(List.of())) {
                if (!RUNTIME_KEYS.contains(key.name())) {
                    throw new IllegalArgumentException("unknown key " + key.key() + "; a Kubernetes runtime has "
                            + RUNTIME_KEYS);
                }
            }
            String image = node.get("image").asString().orElse("");
            if (!image.isEmpty()) { // an override cannot delete a bundled runtime, so an empty image leaves it out
                runtimes.put(name, new Entry(image,
                        new PythonRuntime(name, node.get("python-version").asString().orElse(""), packages(node))));
            }
        }
        return new KubeRuntimes(runtimes);
    }

    private static List<PythonRuntime.Package> packages(Config runtime) {
        List<PythonRuntime.Package> packages = new ArrayList<>();
        for (String pinned : runtime.get("packages").asList(String.class).orElse(List.of())) {
            int equals = pinned.indexOf("==");
            if (equals < 1 || equals + 2 == pinned.length()) {
                throw new IllegalArgumentException(runtime.key() + ".packages must hold name==version pins: " + pinned);
            }
            packages.add(new PythonRuntime.Package(pinned.substring(0, equals), pinned.substring(equals + 2)));
        }
        return packages;
    }

    /** The image of a runtime the parser accepted. */
    String image(String runtime) {
        Entry found = runtimes.get(runtime);
        if (found == null) {
            throw new IllegalArgumentException("unknown runtime " + runtime);
        }
        return found.image();
    }

    List<PythonRuntime> listing() {
        return runtimes.values().stream().map(Entry::listing).toList();
    }
}
