package dev.sandpod.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.fabric8.kubernetes.api.model.ConfigMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** A config of the service as a YAML tree: the application.yaml bundled in the jar, or the chart's override. */
record ConfigYaml(JsonNode root) {
    static final Path BUNDLED = Path.of("src/main/resources/application.yaml");
    /** The ConfigMap key that the Deployment mounts and names in env SANDPOD_CONFIG. */
    static final String KEY = "application.yaml";
    /** Where the Deployment mounts that key. */
    static final String MOUNTED = "/app/config/" + KEY;
    private static final YAMLMapper YAML = new YAMLMapper();

    static ConfigYaml bundled() {
        try {
            return parse(Files.readString(BUNDLED));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + BUNDLED, e);
        }
    }

    /** The override that a render passes to the service. */
    static ConfigYaml of(Manifests render) {
        return parse(text(render));
    }

    /** The text of that override, as the service finds it in the file named by SANDPOD_CONFIG. */
    static String text(Manifests render) {
        ConfigMap map = render.named(ConfigMap.class, Helm.RELEASE + "-config");
        String yaml = map.getData().get(KEY);
        assertNotNull(yaml, () -> "ConfigMap " + map.getMetadata().getName() + " has no " + KEY);
        return yaml;
    }

    static ConfigYaml parse(String yaml) {
        return new ConfigYaml(YAML.readTree(yaml));
    }

    /** The node at a dotted key like "sandpod.kubernetes.namespace"; it must exist. */
    JsonNode at(String key) {
        JsonNode node = root;
        for (String part : key.split("\\.")) {
            node = node.path(part);
        }
        assertFalse(node.isMissingNode(), () -> "no key " + key);
        return node;
    }

    String text(String key) {
        return at(key).asString();
    }

    long number(String key) {
        return at(key).asLong();
    }
}
