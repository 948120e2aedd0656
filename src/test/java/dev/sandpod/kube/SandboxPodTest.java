package dev.sandpod.kube;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandpod.run.JobCodec;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pod of one default run as the API server stored it (from the watch event the emulated kubelet received): every
 * field of DESIGN §4 and everything Pod Security Standards "restricted" demands, one group per test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxPodTest {
    private static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);
    private static final RunRequest REQUEST = RunRequest.of("print('hi')", "in", DEFAULTS);
    private static final RunId ID = RunId.random();

    private MockCluster cluster;
    private Pod pod;

    @BeforeAll
    void runOnce() throws InterruptedException {
        cluster = new MockCluster();
        cluster.kubelet.mode(KubeletEmulator.Mode.INSTANT);
        try (KubernetesExecutor executor = cluster.executor(MockCluster.config())) {
            Await.ready(executor);
            executor.run(REQUEST, ID);
        }
        pod = cluster.kubelet.seen(PodNames.of(ID)).orElseThrow();
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    @DisplayName("the pod is gone once its run has answered")
    void podIsDeletedAfterItsRun() {
        assertEquals(List.of(), cluster.pods());
    }

    @Test
    @DisplayName("the pod is named after its run, in the sandbox namespace")
    void podIsNamedAfterItsRun() {
        assertEquals("sandpod-" + ID.value(), pod.getMetadata().getName());
        assertEquals(MockCluster.NAMESPACE, pod.getMetadata().getNamespace());
    }

    @Test
    @DisplayName("labels: app name, sandbox component, run id, owning replica")
    void podCarriesSandboxLabels() {
        assertEquals(Map.of("app.kubernetes.io/name", "sandpod", "app.kubernetes.io/component", "sandbox",
                "sandpod.dev/run", ID.value(), "sandpod.dev/replica", MockCluster.REPLICA), pod.getMetadata().getLabels());
    }

    @Test
    @DisplayName("restartPolicy Never")
    void podNeverRestarts() {
        assertEquals("Never", spec().getRestartPolicy());
    }

    @Test
    @DisplayName("activeDeadlineSeconds is 3 at the default 2000 ms")
    void podDeadlineIsThreeSecondsAtDefaults() {
        assertEquals(3L, spec().getActiveDeadlineSeconds());
    }

    @Test
    @DisplayName("terminationGracePeriodSeconds 0")
    void podIsKilledWithoutGrace() {
        assertEquals(0L, spec().getTerminationGracePeriodSeconds());
    }

    @Test
    @DisplayName("the permission-less service account, and no token mounted")
    void podHasNoServiceAccountToken() {
        assertEquals("sandpod-sandbox", spec().getServiceAccountName());
        assertEquals(Boolean.FALSE, spec().getAutomountServiceAccountToken());
    }

    @Test
    @DisplayName("enableServiceLinks false")
    void podHasNoServiceLinks() {
        assertEquals(Boolean.FALSE, spec().getEnableServiceLinks());
    }

    @Test
    @DisplayName("no host network, PID or IPC namespace; hostUsers left to the cluster at defaults")
    void podSharesNoHostNamespaces() {
        assertEquals(Boolean.FALSE, spec().getHostNetwork());
        assertEquals(Boolean.FALSE, spec().getHostPID());
        assertEquals(Boolean.FALSE, spec().getHostIPC());
        assertNull(spec().getHostUsers());
        assertTrue(container().getPorts().isEmpty(), "no host ports, no ports at all");
    }

    @Test
    @DisplayName("runAsNonRoot with a non-zero UID from the range, GID and fsGroup the same")
    void podRunsAsNonRootWithNonZeroUid() {
        PodSecurityContext security = spec().getSecurityContext();
        assertEquals(Boolean.TRUE, security.getRunAsNonRoot());
        long uid = security.getRunAsUser();
        assertTrue(uid >= 100000 && uid <= 165535, "uid in [uid-min, uid-max]: " + uid);
        assertEquals(uid, security.getRunAsGroup());
        assertEquals(uid, security.getFsGroup());
        assertEquals(Boolean.TRUE, container().getSecurityContext().getRunAsNonRoot());
        assertNull(container().getSecurityContext().getRunAsUser(), "the pod's UID is not overridden");
    }

    @Test
    @DisplayName("seccompProfile RuntimeDefault, not overridden by the container")
    void podUsesRuntimeDefaultSeccomp() {
        assertEquals("RuntimeDefault", spec().getSecurityContext().getSeccompProfile().getType());
        assertNull(container().getSecurityContext().getSeccompProfile());
    }

    @Test
    @DisplayName("allowPrivilegeEscalation false, privileged false")
    void containerCannotEscalatePrivileges() {
        SecurityContext security = container().getSecurityContext();
        assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation());
        assertEquals(Boolean.FALSE, security.getPrivileged());
    }

    @Test
    @DisplayName("capabilities: drop ALL, add none")
    void containerDropsAllCapabilities() {
        assertEquals(List.of("ALL"), container().getSecurityContext().getCapabilities().getDrop());
        assertTrue(container().getSecurityContext().getCapabilities().getAdd().isEmpty());
    }

    @Test
    @DisplayName("readOnlyRootFilesystem true")
    void containerRootFilesystemIsReadOnly() {
        assertEquals(Boolean.TRUE, container().getSecurityContext().getReadOnlyRootFilesystem());
    }

    @Test
    @DisplayName("no SELinux, AppArmor, procMount or sysctl settings that restricted forbids")
    void podSetsNothingRestrictedForbids() {
        assertNull(spec().getSecurityContext().getSeLinuxOptions());
        assertNull(spec().getSecurityContext().getAppArmorProfile());
        assertTrue(spec().getSecurityContext().getSysctls().isEmpty());
        assertNull(container().getSecurityContext().getSeLinuxOptions());
        assertNull(container().getSecurityContext().getAppArmorProfile());
        assertNull(container().getSecurityContext().getProcMount());
    }

    @Test
    @DisplayName("requests equal limits for cpu, memory (program plus runner) and ephemeral-storage")
    void containerRequestsEqualLimits() {
        Map<String, Quantity> expected = Map.of("cpu", new Quantity("500m"), "memory", new Quantity("160Mi"),
                "ephemeral-storage", new Quantity("64Mi"));
        assertEquals(expected, container().getResources().getLimits());
        assertEquals(expected, container().getResources().getRequests());
    }

    @Test
    @DisplayName("/tmp is a memory-backed emptyDir with a sizeLimit of the file limit")
    void tmpIsMemoryBackedEmptyDir() {
        Volume tmp = volume("tmp");
        assertEquals("Memory", tmp.getEmptyDir().getMedium());
        assertEquals(new Quantity(Long.toString(16 << 20)), tmp.getEmptyDir().getSizeLimit());
        assertEquals("/tmp", mount("tmp").getMountPath());
        assertNull(mount("tmp").getReadOnly());
    }

    @Test
    @DisplayName("the runner comes from the runner ConfigMap, mounted read-only at /sandpod with mode 0444")
    void runnerIsMountedReadOnlyFromItsConfigMap() {
        Volume runner = volume("runner");
        assertEquals("sandpod-runner", runner.getConfigMap().getName());
        assertEquals(0444, runner.getConfigMap().getDefaultMode());
        assertEquals(List.of(), runner.getConfigMap().getItems(), "the whole ConfigMap: runner.py is its only key");
        assertEquals("/sandpod", mount("runner").getMountPath());
        assertEquals(true, mount("runner").getReadOnly());
        assertEquals(2, container().getVolumeMounts().size());
    }

    @Test
    @DisplayName("only volume types restricted allows: an emptyDir and a configMap, no hostPath")
    void podUsesOnlyAllowedVolumeTypes() throws Exception {
        Map<String, Set<String>> fields = new TreeMap<>();
        for (Volume volume : spec().getVolumes()) {
            JsonNode json = new ObjectMapper().readTree(cluster.admin.getKubernetesSerialization().asJson(volume));
            fields.put(volume.getName(), json.properties().stream().map(Map.Entry::getKey).collect(Collectors.toSet()));
        }
        assertEquals(Map.of("tmp", Set.of("name", "emptyDir"), "runner", Set.of("name", "configMap")), fields);
    }

    @Test
    @DisplayName("dnsPolicy None with one unreachable nameserver and no search domains")
    void podHasNoWorkingDns() {
        assertEquals("None", spec().getDnsPolicy());
        assertEquals(List.of("192.0.2.1"), spec().getDnsConfig().getNameservers());
        assertTrue(spec().getDnsConfig().getSearches().isEmpty());
    }

    @Test
    @DisplayName("the image is pinned by digest and pulled only if not present")
    void imageIsPinned() {
        assertTrue(container().getImage().startsWith("python:3.13-slim@sha256:"), container().getImage());
        assertEquals("IfNotPresent", container().getImagePullPolicy());
    }

    @Test
    @DisplayName("the command is python3 -I on the mounted runner, with the job in an env var, the nproc rlimit and /tmp/run")
    void containerRunsTheRunner() {
        assertEquals(List.of("python3", "-I", "/sandpod/runner.py", "--job-env", "SANDPOD_JOB", "--rlimit-nproc", "--workdir",
                "/tmp/run"), container().getCommand());
        assertTrue(container().getArgs().isEmpty());
    }

    @Test
    @DisplayName("the job JSON travels in SANDPOD_JOB, the container's only env var")
    void jobTravelsInTheEnvironment() throws Exception {
        assertEquals(1, container().getEnv().size());
        assertEquals("SANDPOD_JOB", container().getEnv().getFirst().getName());
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(JobCodec.encodeString(REQUEST)), json.readTree(container().getEnv().getFirst().getValue()));
    }

    @Test
    @DisplayName("nothing optional is set at defaults: no runtime class, priority class, node selector or tolerations")
    void optionalFieldsAreAbsentAtDefaults() {
        assertNull(spec().getRuntimeClassName());
        assertNull(spec().getPriorityClassName());
        assertTrue(spec().getNodeSelector().isEmpty());
        assertTrue(spec().getTolerations().isEmpty());
        assertTrue(pod.getMetadata().getAnnotations().isEmpty());
    }

    private PodSpec spec() {
        return pod.getSpec();
    }

    private Container container() {
        return spec().getContainers().getFirst();
    }

    private Volume volume(String name) {
        return spec().getVolumes().stream().filter(volume -> name.equals(volume.getName())).findFirst().orElseThrow();
    }

    private VolumeMount mount(String name) {
        return container().getVolumeMounts().stream().filter(mount -> name.equals(mount.getName())).findFirst().orElseThrow();
    }
}
