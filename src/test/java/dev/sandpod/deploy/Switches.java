package dev.sandpod.deploy;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The chart's switches as `helm template` arguments: each alone, then all at once. */
final class Switches {
    static final String[] INGRESS = {"--set", "ingress.enabled=true"};
    static final String[] NO_HPA = {"--set", "autoscaling.enabled=false"};
    static final String[] GVISOR = {"--set", "sandbox.runtimeClassName=gvisor"};
    static final String[] NODE_POOL = {
        "--set", "sandbox.nodeSelector.sandpod\\.dev/pool=sandbox",
        "--set-json", "sandbox.tolerations=[{\"key\":\"sandpod.dev/pool\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]"};
    static final String[] EXISTING_NAMESPACE = {
        "--set", "sandbox.namespace.create=false", "--set", "sandbox.namespace.name=team-sandboxes"};
    static final String[] WARM_POOL = {"--set", "warmPool.enabled=true", "--set", "warmPool.size=3"};
    static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
    static final String[] IMAGE_DIGEST = {"--set", "image.digest=" + DIGEST};
    static final String[] SERVICE_NAMESPACE = {"--set", "serviceNamespace.create=true"};
    static final String[] HARDENED = {
        "--set", "sandbox.hostUsers=false", "--set", "sandbox.priorityClassName=sandbox",
        "--set", "sandbox.quota.pods=200", "--set", "sandbox.quota.cpu=100", "--set", "sandbox.quota.memory=120Gi",
        "--set", "sandbox.quota.ephemeralStorage=20Gi",
        "--set-json", "networkPolicy.ingressFrom=[{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"api\"}}}]",
        "--set-json", "networkPolicy.apiServer.cidrs=[\"10.0.0.1/32\"]"};

    static final List<String> EVERYTHING = Stream.of(INGRESS, NO_HPA, GVISOR, NODE_POOL, EXISTING_NAMESPACE, WARM_POOL,
                                                     IMAGE_DIGEST, SERVICE_NAMESPACE, HARDENED)
            .flatMap(Stream::of).toList();

    private Switches() {
    }

    static Stream<Arguments> all() {
        return Stream.of(
                arguments("defaults", List.of()),
                arguments("ingress", List.of(INGRESS)),
                arguments("no HPA", List.of(NO_HPA)),
                arguments("gVisor runtime class", List.of(GVISOR)),
                arguments("sandbox node pool", List.of(NODE_POOL)),
                arguments("existing sandbox namespace", List.of(EXISTING_NAMESPACE)),
                arguments("warm pool", List.of(WARM_POOL)),
                arguments("image digest", List.of(IMAGE_DIGEST)),
                arguments("service namespace", List.of(SERVICE_NAMESPACE)),
                arguments("hardened", List.of(HARDENED)),
                arguments("everything", EVERYTHING));
    }

    static Manifests render(List<String> args) {
        return Helm.template(args.toArray(String[]::new));
    }
}
