package dev.sandpod.kube;

import java.time.Duration;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Quantity;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sandpod.kubernetes} is read once and every bad value fails the start with the key's name. */
class KubeConfigTest {
    @Test
    @DisplayName("the shipped application.yaml is valid and means what it says")
    void shippedConfigIsValid() {
        KubeConfig config = MockCluster.config();
        assertEquals("sandpod-sandbox", config.namespace());
        assertEquals("IfNotPresent", config.imagePullPolicy());
        assertEquals(100000, config.uidMin());
        assertEquals(165535, config.uidMax());
        assertEquals(new Quantity("500m"), config.cpu());
        assertEquals(Duration.ofSeconds(30), config.startupTimeout());
        assertEquals(Duration.ofSeconds(10), config.completionMargin());
        assertEquals("192.0.2.1", config.dnsNameserver());
        assertEquals("sandpod-runner", config.runnerConfigMap());
        assertTrue(config.hostUsers());
        assertEquals(MockCluster.REPLICA, config.replica());
        assertEquals(0, config.poolSize());
    }

    @Test
    @DisplayName("label keys with dots survive Helidon's key splitting")
    void dottedLabelKeysSurvive() {
        Config config = Config.just(ConfigSources.create("""
                sandpod:
                  kubernetes:
                    replica: replica-a
                    labels:
                      "example.com/team": judges
                """, MediaTypes.APPLICATION_X_YAML), ConfigSources.classpath("application.yaml"));
        assertEquals(Map.of("example.com/team", "judges"), KubeConfig.from(config.get("sandpod.kubernetes")).labels());
    }

    @Test
    @DisplayName("an empty replica falls back to a label-safe name")
    void emptyReplicaGetsAName() {
        KubeConfig config = MockCluster.config(Map.of("replica", ""));
        assertTrue(config.replica().matches("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"), config.replica());
    }

    @Test
    @DisplayName("uid-min 0 would allow root and is refused")
    void rootUidIsRefused() {
        assertRefused("sandpod.kubernetes.uid-min must be at least 1 (sandboxes never run as root): 0", "uid-min", "0");
    }

    @Test
    @DisplayName("an empty UID range is refused")
    void invertedUidRangeIsRefused() {
        assertRefused("sandpod.kubernetes.uid-max must not be below uid-min 100000: 99999", "uid-max", "99999");
    }

    @Test
    @DisplayName("a quantity that is not one is refused with its key")
    void badQuantityIsRefused() {
        assertRefused("sandpod.kubernetes.cpu must be a positive quantity: lots", "cpu", "lots");
    }

    @Test
    @DisplayName("a namespace that is no DNS label is refused")
    void badNamespaceIsRefused() {
        assertRefused("sandpod.kubernetes.namespace must be a DNS label: Sandbox_NS", "namespace", "Sandbox_NS");
    }

    @Test
    @DisplayName("a runner ConfigMap name that is no DNS name is refused")
    void badRunnerConfigMapIsRefused() {
        assertRefused("sandpod.kubernetes.runner-config-map must be a DNS name: Runner.PY", "runner-config-map", "Runner.PY");
    }

    @Test
    @DisplayName("a nameserver that is no IP address is refused")
    void badNameserverIsRefused() {
        assertRefused("sandpod.kubernetes.dns-nameserver must be an IP address: dns.example", "dns-nameserver", "dns.example");
    }

    @Test
    @DisplayName("an unknown pull policy is refused")
    void badPullPolicyIsRefused() {
        assertRefused("sandpod.kubernetes.image-pull-policy must be one of", "image-pull-policy", "Sometimes");
    }

    @Test
    @DisplayName("extra labels may not take over Sandpod's own")
    void reservedLabelIsRefused() {
        assertRefused("sandpod.kubernetes.labels must not set Sandpod's own label: sandpod.dev/replica",
                "labels.sandpod~1dev/replica", "x");
    }

    @Test
    @DisplayName("extra annotations may not use Sandpod's own prefix, where a kept pod holds its run's state")
    void reservedAnnotationIsRefused() {
        assertRefused("sandpod.kubernetes.annotations must not use Sandpod's own prefix sandpod.dev/: sandpod.dev/key",
                "annotations.sandpod~1dev/key", "x");
    }

    @Test
    @DisplayName("a negative pool size is refused")
    void negativePoolSizeIsRefused() {
        assertRefused("sandpod.kubernetes.pool-size must not be negative: -1", "pool-size", "-1");
    }

    @Test
    @DisplayName("a number that is not one names its key")
    void badNumberIsRefused() {
        assertRefused("sandpod.kubernetes.startup-timeout-ms must be an integer: soon", "startup-timeout-ms", "soon");
    }

    private static void assertRefused(String messageStart, String key, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MockCluster.config(Map.of(key, value)));
        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
    }
}
