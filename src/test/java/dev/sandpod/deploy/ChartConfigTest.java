package dev.sandpod.deploy;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LimitRangeItem;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.rbac.Role;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The config that the chart hands the service agrees with the service and with the rest of the
 * render: keys the service reads, its defaults, and the namespace, labels and limits that the
 * sandbox namespace's objects were sized for.
 */
final class ChartConfigTest {
    private static final BigDecimal MIB = BigDecimal.valueOf(1024 * 1024);

    @Test
    void everyKeyTheChartSetsIsAKeyOfTheService() {
        assertKnown(AppConfig.of(Helm.template(Switches.EVERYTHING.toArray(String[]::new))).root(),
                    AppConfig.bundled().root(), "");
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
        AppConfig chart = AppConfig.of(Helm.defaultRender());
        AppConfig bundled = AppConfig.bundled();
        for (String section : List.of("server", "sandpod.limits", "sandpod.admission", "sandpod.kubernetes")) {
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
    void serviceCreatesSandboxesWhereTheChartSetThemUp() {
        Manifests render = Helm.defaultRender();
        AppConfig config = AppConfig.of(render);
        String namespace = config.text("sandpod.kubernetes.namespace");
        assertEquals(ChartSecurityTest.SANDBOX_NAMESPACE, namespace);
        render.named(Namespace.class, namespace);
        for (Class<? extends HasMetadata> kind : List.of(Role.class, ResourceQuota.class, LimitRange.class)) {
            assertEquals(namespace, render.one(kind).getMetadata().getNamespace(), kind.getSimpleName());
        }
        ServiceAccount account = render.named(ServiceAccount.class, config.text("sandpod.kubernetes.service-account"));
        assertEquals(namespace, account.getMetadata().getNamespace());
    }

    @Test
    void extraSandboxLabelsReachTheServiceBesideItsOwn() {
        AppConfig config = AppConfig.of(Helm.template("--set", "sandbox.labels.team=data"));
        JsonNode labels = config.at("sandpod.kubernetes.labels");
        assertEquals("data", labels.get("team").asString());
        // The executor's own label is not the chart's to give or to change: the deny-all policy selects it.
        ChartSecurityTest.SANDBOX_LABEL.keySet().forEach(key -> assertFalse(labels.has(key), key));
    }

    @Test
    void limitRangeAdmitsTheLargestRunTheServiceAllows() {
        Manifests render = Helm.defaultRender();
        AppConfig config = AppConfig.of(render);
        LimitRangeItem container = render.one(LimitRange.class).getSpec().getLimits().get(0);
        assertEquals("Container", container.getType());
        assertAtLeast(container.getMax().get("memory"), largestSandboxMemory(config), "LimitRange max memory");
        assertAtLeast(container.getMax().get("cpu"), amount(config.text("sandpod.kubernetes.cpu")), "LimitRange max cpu");
        assertAtLeast(container.getMax().get("ephemeral-storage"), amount(config.text("sandpod.kubernetes.ephemeral-storage")),
                      "LimitRange max ephemeral-storage");
    }

    @Test
    void quotaHoldsTheConcurrentRunsOfEveryReplica() {
        Manifests render = Helm.template(Switches.WARM_POOL);
        AppConfig config = AppConfig.of(render);
        Map<String, Quantity> hard = render.one(ResourceQuota.class).getSpec().getHard();
        for (String resource : List.of("pods", "cpu", "memory", "ephemeral-storage")) {
            boolean counted = resource.equals("pods") || hard.containsKey("requests." + resource) && hard.containsKey("limits." + resource);
            assertTrue(counted, "quota on " + resource);
        }
        long replicas = render.one(HorizontalPodAutoscaler.class).getSpec().getMinReplicas();
        long perReplica = config.number("sandpod.admission.max-concurrent") + config.number("sandpod.kubernetes.pool-size");
        BigDecimal pods = amount(hard.get("pods").toString());
        assertAtLeast(hard.get("pods"), BigDecimal.valueOf(replicas * perReplica), "quota pods");
        // The pod count binds first: every pod the quota admits fits the cpu, memory and disk quota at its largest.
        assertAtLeast(hard.get("limits.cpu"), pods.multiply(amount(config.text("sandpod.kubernetes.cpu"))), "quota cpu");
        assertAtLeast(hard.get("limits.memory"), pods.multiply(largestSandboxMemory(config)), "quota memory");
        assertAtLeast(hard.get("limits.ephemeral-storage"),
                      pods.multiply(amount(config.text("sandpod.kubernetes.ephemeral-storage"))), "quota ephemeral-storage");
    }

    /** Memory of a sandbox at max-memory-mb: the program, the runner, and the memory-backed /tmp. */
    private static BigDecimal largestSandboxMemory(AppConfig config) {
        long mib = config.number("sandpod.limits.max-memory-mb") + config.number("sandpod.kubernetes.runner-overhead-mb");
        return MIB.multiply(BigDecimal.valueOf(mib)).add(BigDecimal.valueOf(config.number("sandpod.limits.file-bytes")));
    }

    private static BigDecimal amount(String quantity) {
        return Quantity.getAmountInBytes(new Quantity(quantity));
    }

    private static void assertAtLeast(Quantity actual, BigDecimal least, String what) {
        BigDecimal value = Quantity.getAmountInBytes(actual);
        assertTrue(value.compareTo(least) >= 0, () -> what + " " + actual + " < " + least.toPlainString());
    }

    @Test
    void terminationGraceOutlastsDrainAndShutdown() {
        Manifests render = Helm.defaultRender();
        PodSpec pod = render.one(Deployment.class).getSpec().getTemplate().getSpec();
        Duration shutdown = Duration.parse(AppConfig.of(render).text("server.shutdown-grace-period"));
        long drain = pod.getContainers().get(0).getLifecycle().getPreStop().getSleep().getSeconds();
        assertTrue(pod.getTerminationGracePeriodSeconds() > drain + shutdown.toSeconds(),
                   () -> pod.getTerminationGracePeriodSeconds() + "s <= " + drain + "s + " + shutdown);
    }

    @Test
    void ingressRefusesWhatTheServerRefuses() {
        Manifests render = Helm.template(Switches.INGRESS);
        String bodySize = render.one(Ingress.class).getMetadata().getAnnotations().get("nginx.ingress.kubernetes.io/proxy-body-size");
        long payload = AppConfig.bundled().number("server.max-payload-size");
        assertEquals(payload, AppConfig.of(render).number("server.max-payload-size"));
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
        assertEquals(AppConfig.KEY, path.substring(path.lastIndexOf('/') + 1));
        String volume = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(directory))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + directory)).getName();
        String configMap = pod.getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst().orElseThrow()
                .getConfigMap().getName();
        assertTrue(render.named(ConfigMap.class, configMap).getData().containsKey(AppConfig.KEY));
    }

    @Test
    void eachReplicaKnowsItsOwnName() {
        Container container = Helm.defaultRender().one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("metadata.name", env(container, "SANDPOD_KUBERNETES_REPLICA").getValueFrom().getFieldRef().getFieldPath());
    }

    private static EnvVar env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    @Test
    void configChangeRollsTheReplicas() {
        assertNotEquals(checksum(Helm.defaultRender()), checksum(Helm.template("--set", "config.limits.maxTimeoutMs=20000")));
        assertEquals(checksum(Helm.defaultRender()), checksum(Helm.template("--set", "ingress.enabled=true")));
    }

    private static String checksum(Manifests render) {
        return render.one(Deployment.class).getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/config");
    }
}
