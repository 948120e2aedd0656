package dev.sandpod.deploy;

import java.util.List;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
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

/** The chart lints clean, renders every switch into valid typed objects, and refuses bad values. */
final class ChartRenderTest {
    @Test
    void lintsCleanInStrictMode() {
        Helm.Result result = Helm.run(List.of("lint", "--strict", Helm.CHART.toString()));
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertFalse(result.stdout().contains("[WARNING]") || result.stdout().contains("[ERROR]"), result.stdout());
    }

    @Test
    void lintsCleanWithEverySwitchOn() {
        List<String> command = Stream.concat(Stream.of("lint", "--strict", Helm.CHART.toString(), "--namespace", Helm.NAMESPACE),
                                             Switches.EVERYTHING.stream()).toList();
        Helm.Result result = Helm.run(command);
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.deploy.Switches#all")
    void rendersTypedObjectsWithNoUnknownFields(String name, List<String> args) {
        // Manifests.parse fails on an untyped kind or an unknown field; the helm test hook is included.
        Manifests render = Switches.render(args);
        assertTrue(render.objects().size() > 10, () -> name + " rendered " + render.identities());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                arguments("replicas as a word", List.of("--set", "replicaCount=two"), "/replicaCount"),
                arguments("an unknown key", List.of("--set", "replicas=2"), "'replicas'"),
                arguments("an unknown nested key", List.of("--set", "sandbox.quota.gpus=1"), "'gpus'"),
                arguments("an unpinned sandbox image", List.of("--set", "sandbox.image=python:latest"), "/sandbox/image"),
                arguments("a sandbox image without tag", List.of("--set", "sandbox.image=python"), "/sandbox/image"),
                arguments("the latest tag", List.of("--set", "image.tag=latest"), "/image/tag"),
                arguments("a digest that isn't one", List.of("--set", "image.digest=latest"), "/image/digest"),
                arguments("a quantity that isn't one", List.of("--set", "sandbox.cpu=lots"), "/sandbox/cpu"),
                arguments("a namespace name that isn't one", List.of("--set", "sandbox.namespace.name=Sand_Box"),
                          "/sandbox/namespace/name"),
                arguments("taking over the sandbox label",
                          List.of("--set", "sandbox.labels.app\\.kubernetes\\.io/component=server"), "/sandbox/labels"),
                arguments("taking over the run label", List.of("--set", "sandbox.labels.sandpod\\.dev/run=x"), "/sandbox/labels"),
                arguments("no API server address", List.of("--set-json", "networkPolicy.apiServer.cidrs=[]"),
                          "/networkPolicy/apiServer/cidrs"),
                arguments("an ingress path type nginx reads as a regex",
                          List.of("--set-json", "ingress.paths=[{\"path\":\"/v1\",\"pathType\":\"ImplementationSpecific\"}]"),
                          "/ingress/paths/0/pathType"),
                arguments("the header that named a client, now gone",
                          List.of("--set", "config.admission.clientKeyHeader=X-Real-IP"), "'clientKeyHeader'"),
                arguments("a negative per-key cap", List.of("--set", "config.admission.keyMaxConcurrent=-1"),
                          "/config/admission/keyMaxConcurrent"),
                arguments("a trusted proxy that isn't a CIDR", List.of("--set", "config.admission.trustedProxies={10.0.0.1}"),
                          "/config/admission/trustedProxies/0"),
                arguments("an access log format the service lacks", List.of("--set", "config.accessLog.format=xml"),
                          "/config/accessLog/format"),
                arguments("a Secret name that isn't one", List.of("--set", "apiKeys.secretName=Team_Keys"),
                          "/apiKeys/secretName"),
                arguments("an MCP origin that isn't one", List.of("--set", "config.mcp.allowedOrigins={javascript:alert(1)}"),
                          "/config/mcp/allowedOrigins/0"),
                arguments("sandboxes in the service's namespace", List.of("--set", "sandbox.namespace.name=" + Helm.NAMESPACE),
                          "must differ from the release namespace"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void refusesBadValues(String name, List<String> args, String complaint) {
        Helm.Result result = Helm.templateResult(args.toArray(String[]::new));
        assertNotEquals(0, result.exitCode(), () -> name + " was accepted");
        assertTrue(result.stderr().contains(complaint), () -> "expected '" + complaint + "' in: " + result.stderr());
    }

    @Test
    void ingressIsOffByDefault() {
        assertEquals(List.of(), Helm.defaultRender().all(Ingress.class));
    }

    @Test
    void ingressSwitchAddsAnNginxIngressWithTls() {
        Ingress ingress = Helm.template(Switches.INGRESS).one(Ingress.class);
        assertEquals("nginx", ingress.getSpec().getIngressClassName());
        assertEquals("sandpod-tls", ingress.getSpec().getTls().get(0).getSecretName());
        assertEquals(List.of("sandpod.example.com"), ingress.getSpec().getTls().get(0).getHosts());
        assertEquals("10", ingress.getMetadata().getAnnotations().get("nginx.ingress.kubernetes.io/limit-rps"));
        assertEquals("20", ingress.getMetadata().getAnnotations().get("nginx.ingress.kubernetes.io/limit-connections"));
    }

    @Test
    void ingressPublishesNeitherMetricsNorHealth() {
        Ingress ingress = Helm.template(Switches.INGRESS).one(Ingress.class);
        List<String> paths = ingress.getSpec().getRules().get(0).getHttp().getPaths().stream()
                .map(path -> path.getPathType() + " " + path.getPath()).toList();
        assertEquals(List.of("Prefix /v1", "Exact /", "Exact /openapi", "Prefix /playground"), paths);
    }

    @Test
    void autoscalerOwnsTheReplicaCountByDefault() {
        Manifests render = Helm.defaultRender();
        HorizontalPodAutoscaler hpa = render.one(HorizontalPodAutoscaler.class);
        assertEquals(2, hpa.getSpec().getMinReplicas());
        assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
        assertEquals(render.one(Deployment.class).getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
        assertEquals("cpu", hpa.getSpec().getMetrics().get(0).getResource().getName());
        // A fixed count in the Deployment would fight the autoscaler on every upgrade.
        assertNull(render.one(Deployment.class).getSpec().getReplicas());
    }

    @Test
    void withoutAutoscalerTheDeploymentRunsTwoReplicas() {
        Manifests render = Helm.template(Switches.NO_HPA);
        assertEquals(List.of(), render.all(HorizontalPodAutoscaler.class));
        assertEquals(2, render.one(Deployment.class).getSpec().getReplicas());
    }

    @Test
    void runtimeClassReachesTheSandboxes() {
        ConfigYaml config = ConfigYaml.of(Helm.template(Switches.GVISOR));
        assertEquals("gvisor", config.text("sandpod.kubernetes.runtime-class-name"));
    }

    @Test
    void sandboxNodePoolReachesTheSandboxes() {
        ConfigYaml config = ConfigYaml.of(Helm.template(Switches.NODE_POOL));
        assertEquals("sandbox", config.at("sandpod.kubernetes.node-selector").get("sandpod.dev/pool").asString());
        JsonNode toleration = config.at("sandpod.kubernetes.tolerations").get(0);
        assertEquals("sandpod.dev/pool", toleration.get("key").asString());
        assertEquals("NoSchedule", toleration.get("effect").asString());
    }

    @Test
    void existingSandboxNamespaceIsUsedNotCreated() {
        Manifests render = Helm.template(Switches.EXISTING_NAMESPACE);
        assertEquals(List.of(), render.all(Namespace.class));
        String namespace = "team-sandboxes";
        assertEquals(namespace, ConfigYaml.of(render).text("sandpod.kubernetes.namespace"));
        for (Class<? extends HasMetadata> kind
                : List.of(Role.class, RoleBinding.class, ResourceQuota.class, LimitRange.class)) {
            assertEquals(namespace, render.one(kind).getMetadata().getNamespace(), kind.getSimpleName());
        }
        assertEquals(namespace, render.named(ServiceAccount.class, "sandpod-sandbox").getMetadata().getNamespace());
        assertEquals(namespace, render.named(NetworkPolicy.class, "sandpod-sandbox-deny-all").getMetadata().getNamespace());
    }

    @Test
    void digestPinsTheServiceImage() {
        Deployment deployment = Helm.template(Switches.IMAGE_DIGEST).one(Deployment.class);
        assertEquals("ghcr.io/sandpod/sandpod:0.1.0@" + Switches.DIGEST,
                     deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    }

    @Test
    void warmPoolSizeReachesTheService() {
        assertEquals(0, ConfigYaml.of(Helm.defaultRender()).number("sandpod.kubernetes.pool-size"));
        assertEquals(3, ConfigYaml.of(Helm.template(Switches.WARM_POOL)).number("sandpod.kubernetes.pool-size"));
    }
}
