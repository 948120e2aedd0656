package dev.sandpod.kube;

import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.helidon.config.Config;

/**
 * The {@code sandpod.kubernetes} settings, checked once at start-up so that a bad value fails the boot with the key's name
 * instead of failing every run with an API error.
 *
 * @param namespace          where sandbox pods live (the chart's sandbox namespace)
 * @param image              the python image, pinned by digest in the shipped config
 * @param imagePullPolicy    Always, IfNotPresent or Never
 * @param serviceAccount     the permission-less ServiceAccount the sandboxes run as
 * @param runnerConfigMap    the ConfigMap in {@code namespace} that holds runner.py, which every sandbox mounts
 * @param uidMin             lowest UID/GID handed to a sandbox (never 0)
 * @param uidMax             highest UID/GID handed to a sandbox
 * @param cpu                cpu request and limit of a sandbox
 * @param ephemeralStorage   ephemeral-storage request and limit of a sandbox
 * @param runnerOverheadMb   memory added to the program's memoryMb for the runner itself
 * @param startupTimeout     how long a pod may stay Pending before the run fails as internal_error
 * @param completionMargin   how long past its deadline a started pod may take to report before the run gives up
 * @param reapMargin         how long past its deadline the reaper leaves a sandbox pod alone
 * @param reapInterval       how often the reaper looks for expired sandbox pods
 * @param dnsNameserver      the only nameserver a sandbox gets: an address where nothing answers
 * @param runtimeClassName   gVisor, Kata..., or empty for the cluster default
 * @param priorityClassName  empty for the cluster default
 * @param hostUsers          false asks for a user namespace per pod ({@code hostUsers: false})
 * @param nodeSelector       pins sandboxes to a node pool
 * @param tolerations        lets sandboxes onto a tainted node pool
 * @param labels             extra labels on every sandbox pod (ours win: reserved keys are refused)
 * @param annotations        extra annotations on every sandbox pod
 * @param replica            this replica's name, the value of the replica label on the pods it owns
 * @param poolSize           standby pods this replica keeps for warm runs; 0 turns the warm pool off
 */
public record KubeConfig(String namespace, String image, String imagePullPolicy, String serviceAccount,
                         String runnerConfigMap, int uidMin, int uidMax,
                         Quantity cpu, Quantity ephemeralStorage, int runnerOverheadMb, Duration startupTimeout,
                         Duration completionMargin, Duration reapMargin, Duration reapInterval, String dnsNameserver,
                         String runtimeClassName, String priorityClassName, boolean hostUsers,
                         Map<String, String> nodeSelector, List<Toleration> tolerations, Map<String, String> labels,
                         Map<String, String> annotations, String replica, int poolSize) {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");
    private static final Pattern LABEL_KEY =
            Pattern.compile("([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile("(" + OCTET + "\\.){3}" + OCTET);
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");

    public KubeConfig {
        require(DNS_LABEL.matcher(namespace).matches(), "namespace must be a DNS label", namespace);
        require(!image.isBlank(), "image must not be empty", image);
        require(PULL_POLICIES.contains(imagePullPolicy), "image-pull-policy must be one of " + PULL_POLICIES, imagePullPolicy);
        require(DNS_SUBDOMAIN.matcher(serviceAccount).matches(), "service-account must be a DNS name", serviceAccount);
        require(DNS_SUBDOMAIN.matcher(runnerConfigMap).matches(), "runner-config-map must be a DNS name", runnerConfigMap);
        require(uidMin >= 1, "uid-min must be at least 1 (sandboxes never run as root)", uidMin);
        require(uidMax >= uidMin, "uid-max must not be below uid-min " + uidMin, uidMax);
        require(positive(cpu), "cpu must be a positive quantity", cpu);
        require(positive(ephemeralStorage), "ephemeral-storage must be a positive quantity", ephemeralStorage);
        require(runnerOverheadMb >= 0, "runner-overhead-mb must not be negative", runnerOverheadMb);
        require(startupTimeout.isPositive(), "startup-timeout-ms must be positive", startupTimeout);
        require(!completionMargin.isNegative(), "completion-margin-ms must not be negative", completionMargin);
        require(!reapMargin.isNegative(), "reap-margin-seconds must not be negative", reapMargin);
        require(reapInterval.isPositive(), "reap-interval-seconds must be positive", reapInterval);
        require(IPV4.matcher(dnsNameserver).matches() || IPV6.matcher(dnsNameserver).matches(),
                "dns-nameserver must be an IP address", dnsNameserver);
        require(runtimeClassName.isEmpty() || DNS_SUBDOMAIN.matcher(runtimeClassName).matches(),
                "runtime-class-name must be empty or a DNS name", runtimeClassName);
        require(priorityClassName.isEmpty() || DNS_SUBDOMAIN.matcher(priorityClassName).matches(),
                "priority-class-name must be empty or a DNS name", priorityClassName);
        require(LABEL_VALUE.matcher(replica).matches() && !replica.isEmpty(), "replica must be a label value", replica);
        nodeSelector = labelMap("node-selector", nodeSelector);
        labels = labelMap("labels", labels);
        labels.keySet().forEach(key -> require(!Labels.isReserved(key), "labels must not set Sandpod's own label", key));
        annotations = Map.copyOf(annotations);
        annotations.keySet().forEach(key -> require(LABEL_KEY.matcher(key).matches(), "annotations key is invalid", key));
        annotations.keySet().forEach(key -> require(!key.startsWith(KeptAnnotations.PREFIX),
                "annotations must not use Sandpod's own prefix " + KeptAnnotations.PREFIX, key));
        tolerations = List.copyOf(tolerations);
        require(poolSize >= 0, "pool-size must not be negative", poolSize);
    }

    /**
     * Reads and checks the {@code sandpod.kubernetes} node. An empty {@code replica} falls back to {@code HOSTNAME}, which
     * is the pod name in a cluster, and else to a random name for this process.
     *
     * @throws IllegalArgumentException naming the key and the value when a setting is missing or invalid
     */
    public static KubeConfig from(Config node) {
        return new KubeConfig(
                string(node, "namespace"),
                string(node, "image"),
                string(node, "image-pull-policy"),
                string(node, "service-account"),
                string(node, "runner-config-map"),
                integer(node, "uid-min"),
                integer(node, "uid-max"),
                quantity(node, "cpu"),
                quantity(node, "ephemeral-storage"),
                integer(node, "runner-overhead-mb"),
                Duration.ofMillis(integer(node, "startup-timeout-ms")),
                Duration.ofMillis(integer(node, "completion-margin-ms")),
                Duration.ofSeconds(integer(node, "reap-margin-seconds")),
                Duration.ofSeconds(integer(node, "reap-interval-seconds")),
                string(node, "dns-nameserver"),
                node.get("runtime-class-name").asString().orElse(""),
                node.get("priority-class-name").asString().orElse(""),
                node.get("host-users").asBoolean().orElse(true),
                map(node, "node-selector"),
                tolerations(node.get("tolerations")),
                map(node, "labels"),
                map(node, "annotations"),
                replica(node.get("replica").asString().orElse("")),
                integer(node, "pool-size"));
    }

    /** A copy with another replica name: tests use it to play a second replica against the same API server. */
    public KubeConfig withReplica(String otherReplica) {
        return new KubeConfig(namespace, image, imagePullPolicy, serviceAccount, runnerConfigMap, uidMin, uidMax, cpu,
                ephemeralStorage, runnerOverheadMb, startupTimeout, completionMargin, reapMargin, reapInterval, dnsNameserver,
                runtimeClassName, priorityClassName, hostUsers, nodeSelector, tolerations, labels, annotations, otherReplica,
                poolSize);
    }

    private static String replica(String configured) {
        if (!configured.isBlank()) {
            return configured;
        }
        String hostname = System.getenv("HOSTNAME");
        if (hostname != null && !hostname.isEmpty() && LABEL_VALUE.matcher(hostname).matches()) {
            return hostname;
        }
        byte[] bytes = new byte[6];
        new SecureRandom().nextBytes(bytes);
        return "replica-" + HexFormat.of().formatHex(bytes);
    }

    private static String string(Config node, String key) {
        return node.get(key).asString()
                .orElseThrow(() -> new IllegalArgumentException(node.key() + "." + key + " is missing"));
    }

    private static int integer(Config node, String key) {
        String value = string(node, key);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(node.key() + "." + key + " must be an integer: " + value, e);
        }
    }

    private static Quantity quantity(Config node, String key) {
        String value = string(node, key);
        try {
            return Quantity.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(node.key() + "." + key + " must be a Kubernetes quantity: " + value, e);
        }
    }

    /** Read detached, because Helidon splits keys at dots and label keys such as {@code example.com/team} contain them. */
    private static Map<String, String> map(Config node, String key) {
        return new TreeMap<>(node.get(key).detach().asMap().orElse(Map.of()));
    }

    private static List<Toleration> tolerations(Config list) {
        List<Toleration> result = new ArrayList<>();
        for (Config item : list.asNodeList().orElse(List.of())) {
            result.add(new TolerationBuilder()
                    .withKey(item.get("key").asString().orElse(null))
                    .withOperator(item.get("operator").asString().orElse(null))
                    .withValue(item.get("value").asString().orElse(null))
                    .withEffect(item.get("effect").asString().orElse(null))
                    .withTolerationSeconds(item.get("tolerationSeconds").asLong().orElse(null))
                    .build());
        }
        return result;
    }

    private static Map<String, String> labelMap(String key, Map<String, String> map) {
        map.forEach((name, value) -> {
            require(LABEL_KEY.matcher(name).matches(), key + " key is not a label key", name);
            require(LABEL_VALUE.matcher(value).matches(), key + " value is not a label value", name + "=" + value);
        });
        return Map.copyOf(map);
    }

    private static boolean positive(Quantity quantity) {
        try {
            return quantity.getNumericalAmount().compareTo(BigDecimal.ZERO) > 0;
        } catch (ArithmeticException | IllegalArgumentException e) { // Quantity.parse accepts some garbage lazily
            return false;
        }
    }

    private static void require(boolean rule, String message, Object value) {
        if (!rule) {
            throw new IllegalArgumentException("sandpod.kubernetes." + message + ": " + value);
        }
    }
}
