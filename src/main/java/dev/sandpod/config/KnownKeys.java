package dev.sandpod.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.helidon.config.Config;

/** The configuration keys the bundled file defines, each with its one environment variable name. */
final class KnownKeys {
    /**
     * Keys whose children are the operator's own names (labels, node selectors, runtimes), so any child is allowed; the
     * runtimes' readers check the keys inside each runtime.
     */
    private static final List<String> FREE_FORM = List.of(
            "sandpod.local.runtimes",
            "sandpod.kubernetes.runtimes",
            "sandpod.kubernetes.node-selector",
            "sandpod.kubernetes.tolerations",
            "sandpod.kubernetes.labels",
            "sandpod.kubernetes.annotations");

    private final Map<String, String> keyByEnvName;
    private final Set<String> keys;

    private KnownKeys(Set<String> keys) {
        this.keys = keys;
        this.keyByEnvName = new HashMap<>();
        for (String key : keys) {
            keyByEnvName.put(envName(key), key);
        }
    }

    static KnownKeys of(Config bundled) {
        Set<String> keys = new TreeSet<>();
        bundled.traverse().filter(Config::isLeaf).forEach(node -> keys.add(node.key().toString()));
        return new KnownKeys(keys);
    }

    /** {@code sandpod.limits.max-timeout-ms} is read from {@code SANDPOD_LIMITS_MAX_TIMEOUT_MS}. */
    static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The known keys set in the environment; an unknown {@code SANDPOD_*} variable is a typo, so it fails. */
    Map<String, String> fromEnvironment(Map<String, String> env, String... allowedOtherNames) {
        Set<String> allowed = Set.of(allowedOtherNames);
        Map<String, String> values = new TreeMap<>();
        for (Map.Entry<String, String> variable : env.entrySet()) {
            String key = keyByEnvName.get(variable.getKey());
            if (key != null) {
                values.put(key, variable.getValue());
            } else if (variable.getKey().startsWith("SANDPOD_") && !allowed.contains(variable.getKey())) {
                throw new InvalidConfigException("unknown setting " + variable.getKey() + "; the known ones are "
                        + new TreeSet<>(keyByEnvName.keySet()).stream().filter(name -> name.startsWith("SANDPOD_"))
                        .toList());
            }
        }
        return values;
    }

    void checkNoUnknown(Config config) {
        Set<String> unknown = new TreeSet<>();
        config.get("sandpod").traverse().filter(Config::isLeaf).map(node -> node.key().toString())
                .filter(key -> !keys.contains(key) && FREE_FORM.stream().noneMatch(free -> key.startsWith(free + ".")))
                .forEach(unknown::add);
        if (!unknown.isEmpty()) {
            throw new InvalidConfigException("unknown configuration keys " + unknown
                    + "; see application.yaml for the known ones");
        }
    }
}
