package dev.sandpod.deploy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecretVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The config that the chart hands the service agrees with the service and with the rest of the
 * render: keys the service reads, its defaults, its shutdown, its body limit, and how it is mounted.
 * (ServiceConfigTest loads it through the service's own loader.)
 */
final class ChartConfigTest {
    private static final String TRUSTED_PROXIES = "sandpod.admission.trusted-proxies";
    private static final String KEY_FILE = "sandpod.api-keys.file";

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
        // The chart turns keys on, and names its own sandbox namespace and ServiceAccount.
        Set<String> chartsOwn = Set.of(KEY_FILE, "sandpod.kubernetes.namespace", "sandpod.kubernetes.service-account");
        for (String section : List.of("server", "sandpod.limits", "sandpod.admission", "sandpod.api-keys",
                "sandpod.access-log", "sandpod.shutdown", "sandpod.kubernetes")) {
            for (Map.Entry<String, JsonNode> entry : chart.at(section).properties()) {
                String key = section + "." + entry.getKey();
                if (!chartsOwn.contains(key)) {
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
    void withoutAnIngressNoForwardedForIsBelieved() {
        assertEquals("", ConfigYaml.of(Helm.defaultRender()).text(TRUSTED_PROXIES));
    }

    @Test
    @DisplayName("behind the Ingress, X-Forwarded-For from the private ranges is believed: each public caller has a budget")
    void publicCallersBehindTheIngressGetARateBudgetEach() {
        assertEquals("10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7",
                     ConfigYaml.of(Helm.template(Switches.INGRESS)).text(TRUSTED_PROXIES));
    }

    @Test
    void configuredTrustedProxiesReplaceThePrivateRanges() {
        assertEquals("10.42.0.0/16", ConfigYaml.of(Helm.template("--set", "ingress.enabled=true",
                "--set", "config.admission.trustedProxies={10.42.0.0/16}")).text(TRUSTED_PROXIES));
    }

    @Test
    @DisplayName("no web origin may call /mcp by default; the ones listed in the values reach the service")
    void mcpOriginsReachTheService() {
        assertEquals("", ConfigYaml.of(Helm.defaultRender()).text("sandpod.mcp.allowed-origins"));
        assertEquals("https://agents.example.com,http://localhost:3000", ConfigYaml.of(Helm.template("--set",
                "config.mcp.allowedOrigins={https://agents.example.com,http://localhost:3000}"))
                .text("sandpod.mcp.allowed-origins"));
    }

    @Test
    void serviceReadsItsApiKeysFromTheMountedSecret() {
        Manifests render = Helm.defaultRender();
        PodSpec pod = render.one(Deployment.class).getSpec().getTemplate().getSpec();
        assertEquals(mountedKeyFile(pod, pod.getContainers().get(0)), ConfigYaml.of(render).text(KEY_FILE));
    }

    @Test
    @DisplayName("the key Secret is mounted whole-directory, read-only, the key file alone, readable by the pod's group only")
    void apiKeySecretIsMountedReadOnlyForTheServicesGroup() {
        PodSpec pod = Helm.defaultRender().one(Deployment.class).getSpec().getTemplate().getSpec();
        SecretVolumeSource secret = keyVolume(pod).getSecret();
        assertEquals(Helm.RELEASE + "-api-keys", secret.getSecretName());
        assertEquals(false, secret.getOptional(), "a missing Secret must stop the pod, not start it without keys");
        assertEquals(List.of("keys"), secret.getItems().stream().map(KeyToPath::getKey).toList());
        assertEquals(0440, secret.getDefaultMode());
        assertEquals(pod.getSecurityContext().getRunAsGroup(), pod.getSecurityContext().getFsGroup(),
                     "the Secret's files belong to the fsGroup, which must be the service's own group");
        VolumeMount mount = keyMount(pod.getContainers().get(0));
        assertEquals(true, mount.getReadOnly());
        assertNull(mount.getSubPath(), "a subPath mount never sees the Secret's updates");
    }

    @Test
    void helmTestPodCallsWithTheServicesKeyFile() {
        Manifests render = Helm.template();
        PodSpec test = render.one(Pod.class).getSpec();
        PodSpec service = render.one(Deployment.class).getSpec().getTemplate().getSpec();
        assertEquals(keyVolume(service).getSecret(), keyVolume(test).getSecret());
        Container container = test.getContainers().get(0);
        assertEquals(mountedKeyFile(test, container), env(container, "API_KEYS_FILE").getValue());
        assertEquals(test.getSecurityContext().getRunAsGroup(), test.getSecurityContext().getFsGroup(),
                     "the test's user must read the key file through the fsGroup");
    }

    @Test
    void secretNameCanBeAnExistingSecret() {
        PodSpec pod = Helm.template("--set", "apiKeys.secretName=team-keys", "--set", "apiKeys.secretKey=clients.txt")
                .one(Deployment.class).getSpec().getTemplate().getSpec();
        assertEquals("team-keys", keyVolume(pod).getSecret().getSecretName());
        assertEquals(List.of("clients.txt"), keyVolume(pod).getSecret().getItems().stream().map(KeyToPath::getKey).toList());
    }

    @Test
    void withApiKeysOffNothingIsMountedAndAnyoneMayRun() {
        Manifests render = Helm.template("--set", "apiKeys.enabled=false");
        assertEquals("", ConfigYaml.of(render).text(KEY_FILE));
        for (PodSpec pod : List.of(render.one(Deployment.class).getSpec().getTemplate().getSpec(),
                                   render.one(Pod.class).getSpec())) {
            assertTrue(pod.getVolumes().stream().noneMatch(volume -> volume.getSecret() != null), pod.getVolumes()::toString);
            assertTrue(pod.getContainers().get(0).getEnv().stream().noneMatch(e -> e.getName().equals("API_KEYS_FILE")));
        }
    }

    @Test
    @DisplayName("callbacks.secretName mounts that Secret's key as env SANDPOD_CALLBACK_SECRET; by default there is none")
    void callbackSecretComesFromAnExistingSecret() {
        Container container = Helm.template("--set", "callbacks.secretName=hooks", "--set", "callbacks.secretKey=hmac")
                .one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        var secret = env(container, "SANDPOD_CALLBACK_SECRET").getValueFrom().getSecretKeyRef();
        assertEquals("hooks", secret.getName());
        assertEquals("hmac", secret.getKey());
        assertTrue(Helm.defaultRender().one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0)
                .getEnv().stream().noneMatch(e -> e.getName().equals("SANDPOD_CALLBACK_SECRET")));
    }

    /** The path of the key file inside a container: its mount of the key volume, then the Secret item's path. */
    private static String mountedKeyFile(PodSpec pod, Container container) {
        List<KeyToPath> items = keyVolume(pod).getSecret().getItems();
        assertEquals(1, items.size(), items::toString);
        return keyMount(container).getMountPath() + "/" + items.get(0).getPath();
    }

    private static Volume keyVolume(PodSpec pod) {
        return pod.getVolumes().stream().filter(volume -> volume.getSecret() != null).findFirst()
                .orElseThrow(() -> new AssertionError("no Secret volume in " + pod.getVolumes()));
    }

    private static VolumeMount keyMount(Container container) {
        return container.getVolumeMounts().stream().filter(mount -> mount.getName().equals("api-keys")).findFirst()
                .orElseThrow(() -> new AssertionError("api-keys is not mounted in " + container.getName()));
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
