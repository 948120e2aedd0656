package dev.sandpod.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** k8s/ is the chart's render, so the plain manifests and the chart install the same objects. */
final class PlainManifestsTest {
    private static final Path K8S = Path.of("k8s");
    private static final String KUSTOMIZATION = "kustomization.yaml";

    @Test
    void k8sIsAFreshRenderOfTheChart(@TempDir Path temp) {
        Path fresh = temp.resolve("k8s");
        Helm.Result result = Helm.exec(List.of("bash", "helm/render-k8s.sh", fresh.toString()),
                                       List.of("HELM_BIN=" + Helm.binary().toAbsolutePath()));
        assertEquals(0, result.exitCode(), result.stderr());
        String advice = "k8s/ drifted from the chart: run helm/render-k8s.sh and commit k8s/";
        assertEquals(files(fresh), files(K8S), advice);
        for (Path file : files(fresh)) {
            assertEquals(read(fresh.resolve(file)), read(K8S.resolve(file)), advice + " (" + file + ")");
        }
    }

    @Test
    void kustomizationInstallsTheChartsObjectsAndTheServiceNamespace() {
        assertEquals(chartObjectsAndServiceNamespace(), kustomizationResources().identities());
    }

    @Test
    void kubectlKustomizeBuildsTheSameObjects() {
        Helm.Result built = Helm.exec(List.of(Helm.kubectl().toString(), "kustomize", K8S.toString()), List.of());
        assertEquals(0, built.exitCode(), built.stderr());
        assertEquals(chartObjectsAndServiceNamespace(), Manifests.parse(built.stdout()).identities());
    }

    /** Helm leaves the release namespace to --create-namespace; kubectl apply -k must create it. */
    private static Set<String> chartObjectsAndServiceNamespace() {
        Set<String> expected = new TreeSet<>(Helm.defaultRender().identities());
        expected.add("Namespace " + Helm.NAMESPACE);
        return expected;
    }

    @Test
    void kustomizationListsEveryManifestBesideIt() {
        Set<String> manifests = new TreeSet<>();
        for (Path file : files(K8S)) {
            if (file.getNameCount() == 1 && !file.toString().equals(KUSTOMIZATION)) {
                manifests.add(file.toString());
            }
        }
        assertEquals(manifests, new TreeSet<>(resources()));
    }

    @Test
    void everyFileParsesIntoTypedObjectsWithNoUnknownFields() {
        for (Path file : files(K8S)) {
            if (!file.toString().equals(KUSTOMIZATION)) {
                // Manifests.parse fails on an untyped kind or an unknown field.
                assertFalse(Manifests.parse(read(K8S.resolve(file))).objects().isEmpty(), file.toString());
            }
        }
    }

    private static Manifests kustomizationResources() {
        StringBuilder all = new StringBuilder();
        for (String resource : resources()) {
            all.append(read(K8S.resolve(resource))).append("\n---\n");
        }
        return Manifests.parse(all.toString());
    }

    private static List<String> resources() {
        JsonNode kustomization = new YAMLMapper().readTree(read(K8S.resolve(KUSTOMIZATION)));
        assertEquals("Kustomization", kustomization.get("kind").asString());
        return kustomization.get("resources").valueStream().map(JsonNode::asString).toList();
    }

    /** The files under a directory, relative to it. */
    private static Set<Path> files(Path directory) {
        try (Stream<Path> walk = Files.walk(directory)) {
            return walk.filter(Files::isRegularFile).map(directory::relativize).collect(TreeSet::new, Set::add, Set::addAll);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
