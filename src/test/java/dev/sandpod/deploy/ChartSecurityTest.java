package dev.sandpod.deploy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a security review checks in the render: admission, RBAC, network isolation, the service's pod. */
final class ChartSecurityTest {
    /** The label every sandbox pod carries (DESIGN §4) and that the deny-all policy selects. */
    static final Map<String, String> SANDBOX_LABEL = Map.of("app.kubernetes.io/component", "sandbox");
    static final String SANDBOX_NAMESPACE = "sandpod-sandbox";
    private static final Set<String> RBAC_KINDS = Set.of("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding");

    @Test
    void sandboxNamespaceEnforcesTheRestrictedStandard() {
        assertRestricted(Helm.defaultRender().named(Namespace.class, SANDBOX_NAMESPACE));
    }

    @Test
    void serviceNamespaceEnforcesTheRestrictedStandardWhenCreated() {
        assertRestricted(Helm.template(Switches.SERVICE_NAMESPACE).named(Namespace.class, Helm.NAMESPACE));
    }

    private static void assertRestricted(Namespace namespace) {
        Map<String, String> labels = namespace.getMetadata().getLabels();
        for (String mode : List.of("enforce", "audit", "warn")) {
            assertEquals("restricted", labels.get("pod-security.kubernetes.io/" + mode), mode);
            assertNotNull(labels.get("pod-security.kubernetes.io/" + mode + "-version"), mode + "-version");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.deploy.Switches#all")
    void rbacIsOnlyARoleAndItsBindingInTheSandboxNamespace(String name, List<String> args) {
        Manifests render = Switches.render(args);
        String sandboxNamespace = ConfigYaml.of(render).text("sandpod.kubernetes.namespace");
        List<HasMetadata> rbac = render.objects().stream().filter(o -> RBAC_KINDS.contains(o.getKind())).toList();
        assertEquals(List.of("Role", "RoleBinding"), rbac.stream().map(HasMetadata::getKind).sorted().toList());
        rbac.forEach(o -> assertEquals(sandboxNamespace, o.getMetadata().getNamespace(), o.getKind()));
    }

    @Test
    void roleGrantsOnlyWhatARunNeeds() {
        // patch: an asynchronous run's pod is kept, its end and a cancel marked on it
        assertEquals(Map.of("pods", Set.of("create", "get", "list", "watch", "delete", "patch"),
                            "pods/log", Set.of("get")),
                     grants(Helm.defaultRender().one(Role.class)));
    }

    @Test
    void warmPoolAddsClaimAndAttachOnly() {
        // Attach goes over a WebSocket whose upgrade is a GET: the API server checks get, and create since 1.35.
        assertEquals(Map.of("pods", Set.of("create", "get", "list", "watch", "delete", "patch"),
                            "pods/log", Set.of("get"),
                            "pods/attach", Set.of("create", "get")),
                     grants(Helm.template(Switches.WARM_POOL).one(Role.class)));
    }

    /**
     * Resource → verbs of a Role, checking that it names the core group only; a rule limited to some objects is keyed
     * {@code resource[name,...]}, so that the expected grants spell out which objects too.
     */
    private static Map<String, Set<String>> grants(Role role) {
        Map<String, Set<String>> grants = new TreeMap<>();
        for (PolicyRule rule : role.getRules()) {
            assertEquals(List.of(""), rule.getApiGroups());
            assertEquals(List.of(), rule.getNonResourceURLs());
            String names = rule.getResourceNames().isEmpty() ? "" : "[" + String.join(",", rule.getResourceNames()) + "]";
            for (String resource : rule.getResources()) {
                grants.computeIfAbsent(resource + names, r -> new TreeSet<>()).addAll(rule.getVerbs());
            }
        }
        return grants;
    }

    @Test
    void roleIsBoundToTheServiceAccountOfTheServiceAlone() {
        Manifests render = Helm.defaultRender();
        RoleBinding binding = render.one(RoleBinding.class);
        assertEquals("Role", binding.getRoleRef().getKind());
        assertEquals(render.one(Role.class).getMetadata().getName(), binding.getRoleRef().getName());
        Subject subject = binding.getSubjects().get(0);
        assertEquals(1, binding.getSubjects().size());
        assertEquals("ServiceAccount", subject.getKind());
        assertEquals(Helm.NAMESPACE, subject.getNamespace());
        assertEquals(render.one(Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName(), subject.getName());
    }

    @Test
    void sandboxServiceAccountHasNoTokenAndNoBinding() {
        Manifests render = Helm.defaultRender();
        String name = ConfigYaml.of(render).text("sandpod.kubernetes.service-account");
        ServiceAccount account = render.named(ServiceAccount.class, name);
        assertEquals(SANDBOX_NAMESPACE, account.getMetadata().getNamespace());
        assertEquals(false, account.getAutomountServiceAccountToken());
        assertTrue(render.one(RoleBinding.class).getSubjects().stream().noneMatch(s -> s.getName().equals(name)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.deploy.Switches#all")
    void sandboxesAreCutOffTheNetwork(String name, List<String> args) {
        Manifests render = Switches.render(args);
        String sandboxNamespace = ConfigYaml.of(render).text("sandpod.kubernetes.namespace");
        NetworkPolicy denyAll = render.all(NetworkPolicy.class).stream()
                .filter(policy -> policy.getMetadata().getNamespace().equals(sandboxNamespace))
                .findFirst().orElseThrow(() -> new AssertionError("no NetworkPolicy in " + sandboxNamespace));
        assertEquals(SANDBOX_LABEL, denyAll.getSpec().getPodSelector().getMatchLabels());
        assertEquals(List.of(), denyAll.getSpec().getPodSelector().getMatchExpressions());
        assertEquals(Set.of("Ingress", "Egress"), Set.copyOf(denyAll.getSpec().getPolicyTypes()));
        assertEquals(List.of(), denyAll.getSpec().getIngress());
        assertEquals(List.of(), denyAll.getSpec().getEgress());
    }

    @Test
    void serviceTakesOnly8080AndReachesOnlyDnsAndTheApiServer() {
        Manifests render = Helm.defaultRender();
        NetworkPolicy policy = render.named(NetworkPolicy.class, Helm.RELEASE);
        assertEquals(render.one(Deployment.class).getSpec().getSelector().getMatchLabels(),
                     policy.getSpec().getPodSelector().getMatchLabels());
        assertEquals(Set.of("Ingress", "Egress"), Set.copyOf(policy.getSpec().getPolicyTypes()));
        assertEquals(Set.of("TCP 8080"),
                ports(policy.getSpec().getIngress().stream().flatMap(r -> r.getPorts().stream()).toList()));
        assertEquals(2, policy.getSpec().getEgress().size());
        assertEquals(Set.of("UDP 53", "TCP 53"), ports(policy.getSpec().getEgress().get(0).getPorts()));
        assertEquals(Set.of("TCP 443", "TCP 6443"), ports(policy.getSpec().getEgress().get(1).getPorts()));
        assertNotNull(policy.getSpec().getEgress().get(1).getTo().get(0).getIpBlock());
    }

    @Test
    @DisplayName("with callbacks on, the service reaches public addresses on 443 and 80, never private or metadata ones")
    void callbacksReachOnlyPublicAddresses() {
        NetworkPolicy policy = Helm.template("--set", "callbacks.secretName=callback-secret")
                .named(NetworkPolicy.class, Helm.RELEASE);
        assertEquals(3, policy.getSpec().getEgress().size());
        var callbacks = policy.getSpec().getEgress().get(2);
        assertEquals(Set.of("TCP 443", "TCP 80"), ports(callbacks.getPorts()));
        var v4 = callbacks.getTo().get(0).getIpBlock();
        assertEquals("0.0.0.0/0", v4.getCidr());
        assertTrue(v4.getExcept().containsAll(List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                "100.64.0.0/10", "127.0.0.0/8")), v4.getExcept()::toString);
        var v6 = callbacks.getTo().get(1).getIpBlock();
        assertEquals("::/0", v6.getCidr());
        assertTrue(v6.getExcept().containsAll(List.of("fc00::/7", "fe80::/10", "::1/128")), v6.getExcept()::toString);
    }

    @Test
    void helmTestPodMayCallAServiceOpenToFewCallers() {
        Manifests render = Helm.template(Switches.HARDENED);
        Map<String, String> testPod = render.one(Pod.class).getMetadata().getLabels();
        NetworkPolicy policy = render.named(NetworkPolicy.class, Helm.RELEASE);
        List<NetworkPolicyPeer> callers = policy.getSpec().getIngress().get(0).getFrom();
        assertEquals(2, callers.size(), "the configured namespace and the test pod");
        assertTrue(callers.stream().anyMatch(peer -> peer.getNamespaceSelector() == null && peer.getPodSelector() != null
                && testPod.entrySet().containsAll(peer.getPodSelector().getMatchLabels().entrySet())), callers::toString);
    }

    private static Set<String> ports(List<NetworkPolicyPort> ports) {
        return ports.stream().map(p -> p.getProtocol() + " " + p.getPort().getIntVal()).collect(Collectors.toSet());
    }

    @Test
    void serviceRunsNonRootWithAReadOnlyRootAndNoCapabilities() {
        PodSpec pod = Helm.defaultRender().one(Deployment.class).getSpec().getTemplate().getSpec();
        assertEquals(true, pod.getSecurityContext().getRunAsNonRoot());
        assertNotEquals(0L, pod.getSecurityContext().getRunAsUser());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertLockedDown(pod.getContainers().get(0).getSecurityContext());
        assertNull(pod.getHostNetwork());
        assertNull(pod.getHostPID());
    }

    @Test
    void serviceWritesOnlyToTmp() {
        PodSpec pod = Helm.defaultRender().one(Deployment.class).getSpec().getTemplate().getSpec();
        Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
        Container container = pod.getContainers().get(0);
        container.getVolumeMounts().forEach(mount -> {
            Volume volume = volumes.get(mount.getName());
            assertNull(volume.getHostPath(), mount.getName());
            if (mount.getMountPath().equals("/tmp")) {
                assertNotNull(volume.getEmptyDir().getSizeLimit(), "/tmp needs a size limit");
            } else {
                assertEquals(true, mount.getReadOnly(), mount.getMountPath());
            }
        });
        assertTrue(container.getVolumeMounts().stream().anyMatch(mount -> mount.getMountPath().equals("/tmp")));
    }

    @Test
    void probesAskTheServiceHealthEndpoints() {
        ConfigYaml bundled = ConfigYaml.bundled();
        String health = bundled.text("server.features.observe.observers.health.endpoint");
        Container container = Helm.defaultRender().one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(health + "/live", container.getLivenessProbe().getHttpGet().getPath());
        assertEquals(health + "/ready", container.getReadinessProbe().getHttpGet().getPath());
        assertEquals(health + "/started", container.getStartupProbe().getHttpGet().getPath());
        for (var probe : List.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())) {
            String port = probe.getHttpGet().getPort().getStrVal();
            int number = container.getPorts().stream().filter(p -> p.getName().equals(port)).findFirst().orElseThrow()
                    .getContainerPort();
            assertEquals(bundled.number("server.port"), number);
        }
    }

    @Test
    void helmTestPodIsRestrictedToo() {
        Pod test = Helm.template().one(Pod.class);
        assertEquals("test", test.getMetadata().getAnnotations().get("helm.sh/hook"));
        PodSpec pod = test.getSpec();
        assertEquals(false, pod.getAutomountServiceAccountToken());
        assertEquals(true, pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertLockedDown(pod.getContainers().get(0).getSecurityContext());
    }

    private static void assertLockedDown(SecurityContext context) {
        assertEquals(true, context.getRunAsNonRoot());
        assertEquals(false, context.getAllowPrivilegeEscalation());
        assertEquals(true, context.getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), context.getCapabilities().getDrop());
        assertEquals(List.of(), context.getCapabilities().getAdd());
        assertFalse(Boolean.TRUE.equals(context.getPrivileged()));
    }
}
