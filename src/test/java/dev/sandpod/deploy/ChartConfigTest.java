package dev.sandpod.deploy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The config that the chart hands the service agrees with the service and with the rest of the
 * render: keys the service reads, its defaults, its shutdown, its body limit, and how it is mounted.
 * (ServiceConfigTest loads it through the service's own loader.)
 */
final class ChartConfigTest {
    @Test
    void everyKeyTheChartSetsIsAKeyOfTheService() {
        assertKnown(ConfigYaml.of(Helm.template(Switches.EVERYTHING.toArray(String[]::new))).root(),
                    ConfigYaml.bundled().root(), "");
    }

    /** Walks the override down to where the bundled file has a leaf, an empty map or a list. */
    private static void assertKnown(JsonNode override, JsonNode bundled, String path) {
        for (Map.Entry<String, JsonNode> entry : override.properties()) {
            String key = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
            JsonNode known = bundled.get(entry.getKey());
            assertTrue(known != null, () -> "the service has no config key " + key);
            assertEquals(known.isContainer(), entry.getValue().isContainer(), () -> "shape of " + key);
            if (known.isObject() && !known.isEmpty()) {
                assertKnown(entry.getValue(), known, key);
            }
        }
    }

    @Test
    void chartDefaultsAreTheServiceDefaults() {
        ConfigYaml chart = ConfigYaml.of(Helm.defaultRender());
        ConfigYaml bundled = ConfigYaml.bundled();
        for (String section : List.of("server", "sandpod.limits", "sandpod.admission", "sandpod.shutdown",
                "sandpod.kubernetes")) {
            for (Map.Entry<String, JsonNode> entry : chart.at(section).properties()) {
                String key = section + "." + entry.getKey();
                if (!key.equals("sandpod.kubernetes.namespace") && !key.equals("sandpod.kubernetes.service-account")) {
                    assertEquals(bundled.at(key), entry.getValue(), key);
                }
            }
        }
        assertEquals("kubernetes", chart.text("sandpod.backend"));
    }

    @Test
    void extraSandboxLabelsReachTheServiceBesideItsOwn() {
        ConfigYaml config = ConfigYaml.of(Helm.template("--set", "sandbox.labels.team=data"));
        JsonNode labels = config.at("sandpod.kubernetes.labels");
        assertEquals("data", labels.get("team").asString());
        // The executor's own label is not the chart's to give or to change: the deny-all policy selects it.
        ChartSecurityTest.SANDBOX_LABEL.keySet().forEach(key -> assertFalse(labels.has(key), key));
    }

    @Test
    void publicCallersBehindTheIngressGetARateBudgetEach() {
        assertEquals("", ConfigYaml.of(Helm.defaultRender()).text("sandpod.admission.client-key-header"));
        assertEquals("X-Real-IP", ConfigYaml.of(Helm.template(Switches.INGRESS)).text("sandpod.admission.client-key-header"));
        assertEquals("X-Client", ConfigYaml.of(Helm.template("--set", "ingress.enabled=true",
                "--set", "config.admission.clientKeyHeader=X-Client")).text("sandpod.admission.client-key-header"));
    }

    /** A drain that outlasts the longest run, on the chart's defaults and on values that change it. */
    static Stream<Arguments> shutdownValues() {
        return Stream.of(
                arguments("defaults", List.of()),
                arguments("longer runs", List.of("--set", "config.limits.maxTimeoutMs=20000")),
                arguments("no judge mode", List.of("--set", "config.limits.maxTests=0")),
                arguments("slow pulls, quick reports", List.of("--set", "sandbox.startupTimeoutMs=120000",
                        "--set", "sandbox.completionMarginMs=0")),
                arguments("longer preStop and teardown", List.of("--set", "preStopSleepSeconds=20",
                        "--set", "config.shutdown.teardownTimeoutMs=45500")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shutdownValues")
    @DisplayName("terminationGracePeriodSeconds is the preStop sleep plus the service's drain and teardown")
    void terminationGraceIsPreStopPlusTheServicesShutdown(String name, List<String> args) {
        Manifests render = Switches.render(args);
        PodSpec pod = render.one(Deployment.class).getSpec().getTemplate().getSpec();
        ConfigYaml config = ConfigYaml.of(render);
        long preStopMs = pod.getContainers().get(0).getLifecycle().getPreStop().getSleep().getSeconds() * 1000;
        long shutdownMs = config.number("sandpod.shutdown.drain-timeout-ms")
                + config.number("sandpod.shutdown.teardown-timeout-ms");
        long graceMs = pod.getTerminationGracePeriodSeconds() * 1000;
        // rounded up to whole seconds, and no more: a grace far past the shutdown only stalls rollouts
        assertTrue(graceMs >= preStopMs + shutdownMs && graceMs < preStopMs + shutdownMs + 1000,
                () -> graceMs + " ms for a preStop of " + preStopMs + " ms and a shutdown of " + shutdownMs + " ms");
    }

    @Test
    @DisplayName("a teardown that leaves the server no room for its grace period fails the render, as it would the start")
    void teardownShorterThanTheServersGraceFailsTheRender() {
        Helm.Result result = Helm.templateResult("--set", "config.shutdown.teardownTimeoutMs=10000");
        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("config.shutdown.teardownTimeoutMs (10000) must exceed"), result.stderr());
    }

    @Test
    void ingressRefusesWhatTheServerRefuses() {
        Manifests render = Helm.template(Switches.INGRESS);
        String bodySize = render.one(Ingress.class).getMetadata().getAnnotations()
                .get("nginx.ingress.kubernetes.io/proxy-body-size");
        long payload = ConfigYaml.bundled().number("server.max-payload-size");
        assertEquals(payload, ConfigYaml.of(render).number("server.max-payload-size"));
        assertEquals(payload + "b", nginxToBytes(bodySize) + "b", bodySize);
    }

    /** nginx size units: k and m are KiB and MiB. */
    private static long nginxToBytes(String size) {
        long number = Long.parseLong(size.substring(0, size.length() - 1));
        return switch (size.charAt(size.length() - 1)) {
            case 'k' -> number * 1024;
            case 'm' -> number * 1024 * 1024;
            default -> throw new AssertionError("unexpected size " + size);
        };
    }

    @Test
    void deploymentPointsTheServiceAtTheMountedConfig() {
        Manifests render = Helm.defaultRender();
        PodSpec pod = render.one(Deployment.class).getSpec().getTemplate().getSpec();
        Container container = pod.getContainers().get(0);
        String path = env(container, "SANDPOD_CONFIG").getValue();
        String directory = path.substring(0, path.lastIndexOf('/'));
        assertEquals(ConfigYaml.KEY, path.substring(path.lastIndexOf('/') + 1));
        String volume = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(directory))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + directory)).getName();
        String configMap = pod.getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst().orElseThrow()
                .getConfigMap().getName();
        assertTrue(render.named(ConfigMap.class, configMap).getData().containsKey(ConfigYaml.KEY));
    }

    private static EnvVar env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    @Test
    void configChangeRollsTheReplicas() {
        assertNotEquals(checksum(Helm.defaultRender()), checksum(Helm.template("--set", "config.limits.maxTimeoutMs=20000")));
        assertEquals(checksum(Helm.defaultRender()), checksum(Helm.template("--set", "autoscaling.maxReplicas=8")));
    }

    private static String checksum(Manifests render) {
        return render.one(Deployment.class).getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/config");
    }
}
