package dev.sandpod.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * A set of Kubernetes objects parsed from multi-document YAML into fabric8's typed model. Parsing
 * fails on a kind fabric8 has no class for and on any field its class doesn't know.
 */
record Manifests(List<HasMetadata> objects) {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    Manifests {
        objects = List.copyOf(objects);
    }

    static Manifests parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : SEPARATOR.split(yaml)) {
            if (hasContent(document)) {
                objects.add(typed(document));
            }
        }
        return new Manifests(objects);
    }

    private static HasMetadata typed(String document) {
        Object parsed = SERIALIZATION.unmarshal(document);
        HasMetadata object = assertInstanceOf(HasMetadata.class, parsed, () -> "not a Kubernetes object:\n" + document);
        assertFalse(object instanceof GenericKubernetesResource,
                    () -> "no typed model for " + object.getApiVersion() + " " + object.getKind());
        String name = object.getKind() + " " + object.getMetadata().getName();
        assertEquals(List.of(), UnknownFields.in(object), () -> "unknown fields in " + name);
        return object;
    }

    private static boolean hasContent(String document) {
        return document.lines().map(String::strip).anyMatch(line -> !line.isEmpty() && !line.startsWith("#"));
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = all(type);
        assertEquals(1, found.size(), () -> "expected one " + type.getSimpleName() + ", found " + identities());
        return found.get(0);
    }

    <T extends HasMetadata> T named(Class<T> type, String name) {
        return all(type).stream()
                .filter(object -> object.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in " + identities()));
    }

    /** "Kind namespace/name" of every object: what must match between the chart and k8s/. */
    Set<String> identities() {
        Set<String> identities = new TreeSet<>();
        for (HasMetadata object : objects) {
            String namespace = object.getMetadata().getNamespace();
            identities.add(object.getKind() + " " + (namespace == null ? "" : namespace + "/") + object.getMetadata().getName());
        }
        return identities;
    }
}
