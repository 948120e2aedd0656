package dev.sandpod.deploy;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sandpod.Shutdown;
import dev.sandpod.config.AppConfig;
import dev.sandpod.kube.KubeConfig;
import dev.sandpod.kube.KubeRuntimes;
import dev.sandpod.run.PythonRuntime;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.LimitRangeItem;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.helidon.config.Config;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service itself reads the config the chart gives it, through its own loader and checks, with the
 * environment of the Deployment and the image; and the sandboxes it would create land where the chart
 * set up their Role, deny-all policy, quota and LimitRange.
 */
final class ServiceConfigTest {
    /** What the downward API gives SANDPOD_KUBERNETES_REPLICA: the pod's name. */
    private static final String POD_NAME = "sandpod-6d4cf56db6-x7k2p";
    private static final BigDecimal MIB = BigDecimal.valueOf(1024 * 1024);

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.deploy.Switches#all")
    void serviceBootsOnTheChartsConfigAndEnvironment(String name, List<String> args) throws IOException {
        Config config = load(Switches.render(args));
        assertEquals("kubernetes", config.get("sandpod.backend").asString().get());
        assertEquals(POD_NAME, KubeConfig.from(config.get("sandpod.kubernetes")).replica());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.deploy.Switches#all")
    void sandboxesLandWhereTheChartGuardsThem(String name, List<String> args) throws IOException {
        Manifests render = Switches.render(args);
        KubeConfig kube = KubeConfig.from(load(render).get("sandpod.kubernetes"));
        for (Class<? extends HasMetadata> kind : List.of(Role.class, ResourceQuota.class, LimitRange.class)) {
            assertEquals(kube.namespace(), render.one(kind).getMetadata().getNamespace(), kind.getSimpleName());
        }
        ServiceAccount account = render.named(ServiceAccount.class, kube.serviceAccount());
        assertEquals(kube.namespace(), account.getMetadata().getNamespace());
        // Every sandbox pod carries these (dev.sandpod.kube.Labels) plus the configured extras;
        // the deny-all policy must select it.
        Map<String, String> podLabels = new HashMap<>(kube.labels());
        podLabels.putAll(Map.of("app.kubernetes.io/name", "sandpod", "app.kubernetes.io/component", "sandbox"));
        NetworkPolicy denyAll = render.all(NetworkPolicy.class).stream()
                .filter(policy -> policy.getMetadata().getNamespace().equals(kube.namespace())).findFirst().orElseThrow();
        assertTrue(podLabels.entrySet().containsAll(denyAll.getSpec().getPodSelector().getMatchLabels().entrySet()),
                   () -> denyAll.getSpec().getPodSelector() + " misses pods labelled " + podLabels);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.deploy.Switches#all")
    void runnerConfigMapHoldsTheServicesRunnerWhereItsSandboxesMountIt(String name, List<String> args) throws IOException {
        Manifests render = Switches.render(args);
        KubeConfig kube = KubeConfig.from(load(render).get("sandpod.kubernetes"));
        ConfigMap runner = render.named(ConfigMap.class, kube.runnerConfigMap());
        assertEquals(kube.namespace(), runner.getMetadata().getNamespace());
        assertEquals(Map.of("runner.py", Files.readString(Path.of("src/main/resources/runner.py"))), runner.getData());
    }

    /** A link, not a copy: Helm reads a linked file's contents into the chart, in templates and in a packaged chart. */
    @Test
    void chartsRunnerIsTheServicesRunner() throws IOException {
        assertTrue(Files.isSymbolicLink(Helm.CHART.resolve("files/runner.py")));
        assertTrue(Files.isSameFile(Path.of("src/main/resources/runner.py"), Helm.CHART.resolve("files/runner.py")));
    }

    @Test
    void limitRangeAdmitsTheLargestRunTheServiceAllows() throws IOException {
        Manifests render = Helm.defaultRender();
        Config config = load(render);
        KubeConfig kube = KubeConfig.from(config.get("sandpod.kubernetes"));
        LimitRangeItem container = render.one(LimitRange.class).getSpec().getLimits().get(0);
        assertEquals("Container", container.getType());
        assertAtLeast(container.getMax().get("memory"), largestSandboxMemory(config, kube), "LimitRange max memory");
        assertAtLeast(container.getMax().get("cpu"), amount(kube.cpu()), "LimitRange max cpu");
        assertAtLeast(container.getMax().get("ephemeral-storage"), amount(kube.ephemeralStorage()),
                "LimitRange max ephemeral-storage");
    }

    @Test
    void quotaHoldsTheConcurrentRunsOfEveryReplica() throws IOException {
        Manifests render = Helm.template(Switches.WARM_POOL);
        Config config = load(render);
        KubeConfig kube = KubeConfig.from(config.get("sandpod.kubernetes"));
        Map<String, Quantity> hard = render.one(ResourceQuota.class).getSpec().getHard();
        long replicas = render.one(HorizontalPodAutoscaler.class).getSpec().getMinReplicas();
        long perReplica = config.get("sandpod.admission.max-concurrent").asLong().get()
                + config.get("sandpod.kubernetes.pool-size").asLong().get();
        assertAtLeast(hard.get("pods"), BigDecimal.valueOf(replicas * perReplica), "quota pods");
        // The pod count binds first: every pod the quota admits fits the cpu, memory and disk quota at its largest.
        BigDecimal pods = amount(hard.get("pods"));
        for (String bound : List.of("requests.", "limits.")) {
            assertAtLeast(hard.get(bound + "cpu"), pods.multiply(amount(kube.cpu())), "quota " + bound + "cpu");
            assertAtLeast(hard.get(bound + "memory"), pods.multiply(largestSandboxMemory(config, kube)),
                    "quota " + bound + "memory");
            assertAtLeast(hard.get(bound + "ephemeral-storage"), pods.multiply(amount(kube.ephemeralStorage())),
                          "quota " + bound + "ephemeral-storage");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.deploy.ChartConfigTest#shutdownValues")
    @DisplayName("the service accepts the chart's shutdown, whose drain lets the longest run finish within the pod's grace")
    void drainLetsTheLongestRunFinish(String name, List<String> args) throws IOException {
        Manifests render = Switches.render(args);
        Config config = load(render);
        Shutdown.Budget budget = Shutdown.Budget.from(config);
        long longestRunMs = longestRunMs(config, KubeConfig.from(config.get("sandpod.kubernetes")));
        assertTrue(budget.drain().toMillis() >= longestRunMs, () -> budget + " cuts off a run of " + longestRunMs + " ms");
        PodSpec pod = render.one(Deployment.class).getSpec().getTemplate().getSpec();
        long preStopMs = pod.getContainers().get(0).getLifecycle().getPreStop().getSleep().getSeconds() * 1000;
        assertTrue(pod.getTerminationGracePeriodSeconds() * 1000 >= preStopMs + budget.total().toMillis(),
                () -> pod.getTerminationGracePeriodSeconds() + " s < the preStop and " + budget);
    }

    /**
     * The longest a run waits on the Kubernetes backend, as dev.sandpod.kube.KubernetesExecutor waits: the pod's start,
     * its activeDeadlineSeconds as PodSpecs sets it (the wall limit once per program, in whole seconds, plus one), and
     * the completion margin.
     */
    private static long longestRunMs(Config config, KubeConfig kube) {
        long programs = Math.max(1, config.get("sandpod.limits.max-tests").asLong().get());
        long deadlineSeconds = (config.get("sandpod.limits.max-timeout-ms").asLong().get() * programs + 999) / 1000 + 1;
        return kube.startupTimeout().toMillis() + deadlineSeconds * 1000 + kube.completionMargin().toMillis();
    }

    /** The memory request and limit of a sandbox at max-memory-mb, as dev.sandpod.kube.PodSpecs sets them. */
    private static BigDecimal largestSandboxMemory(Config config, KubeConfig kube) {
        long mib = config.get("sandpod.limits.max-memory-mb").asLong().get() + kube.runnerOverheadMb();
        return MIB.multiply(BigDecimal.valueOf(mib));
    }

    private static BigDecimal amount(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity);
    }

    private static void assertAtLeast(Quantity actual, BigDecimal least, String what) {
        assertTrue(amount(actual).compareTo(least) >= 0, () -> what + " " + actual + " < " + least.toPlainString());
    }

    @Test
    @DisplayName("the runtime images of the values reach the service, and an empty image leaves a bundled runtime out")
    void runtimeImagesReachTheService() throws IOException {
        KubeRuntimes runtimes = KubeRuntimes.from(load(Helm.template(
                "--set", "sandbox.runtimes.python-ml.image=registry.example/python-ml:1.0",
                "--set", "sandbox.runtimes.python-ml.pythonVersion=3.12",
                "--set-json", "sandbox.runtimes.python-ml.packages=[\"torch==2.5.1\"]",
                "--set", "sandbox.runtimes.python-scientific.image=")).get("sandpod.kubernetes"));
        assertEquals(List.of("python", "python-ml"), List.copyOf(runtimes.runtimes().keySet()));
        KubeRuntimes.Entry ml = runtimes.runtimes().get("python-ml");
        assertEquals("registry.example/python-ml:1.0", ml.image());
        assertEquals(new PythonRuntime("python-ml", "3.12", List.of(new PythonRuntime.Package("torch", "2.5.1"))),
                ml.listing());
    }

    @Test
    void chartDefaultsOfferPythonScientificWithItsPins() throws IOException {
        KubeRuntimes runtimes = KubeRuntimes.from(load(Helm.defaultRender()).get("sandpod.kubernetes"));
        assertEquals(List.of("python", "python-scientific"), List.copyOf(runtimes.runtimes().keySet()));
        assertEquals(List.of("numpy", "pandas", "matplotlib"), runtimes.runtimes().get("python-scientific").listing()
                .packages().stream().map(PythonRuntime.Package::name).toList());
    }

    /**
     * Loads the config as the replica would: the image's ENV, then the Deployment's env, with the ConfigMap's
     * file where SANDPOD_CONFIG points.
     */
    private Config load(Manifests render) throws IOException {
        Path file = Files.writeString(temp.resolve(ConfigYaml.KEY), ConfigYaml.text(render));
        Map<String, String> env = new HashMap<>();
        Dockerfile.read().all("ENV").forEach(variable -> {
            String[] pair = variable.arguments().split("=", 2);
            env.put(pair[0], pair[1]);
        });
        Container container = render.one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        for (EnvVar variable : container.getEnv()) {
            if (variable.getValueFrom() != null) {
                assertEquals("metadata.name", variable.getValueFrom().getFieldRef().getFieldPath(), variable.getName());
                env.put(variable.getName(), POD_NAME);
            } else {
                env.put(variable.getName(), variable.getValue());
            }
        }
        assertEquals(ConfigYaml.MOUNTED, env.put(AppConfig.FILE_VARIABLE, file.toString()));
        return AppConfig.load(env);
    }
}
