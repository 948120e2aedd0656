package dev.sandpod.kube;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandpod.run.JobCodec;
import dev.sandpod.run.JobTooLargeException;
import dev.sandpod.run.Kept;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.TestCase;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure pod builder: deadline, job size and escaping, the runner mount, optional fields, purity. */
class PodSpecsTest {
    private static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);
    private static final PodSpecs SPECS = new PodSpecs(MockCluster.config());

    @Test
    @DisplayName("a run's pod has its runtime's image; a standby pod always the default's, which is sandpod.kubernetes.image")
    void imageIsTheRuntimes() {
        PodSpecs specs = new PodSpecs(MockCluster.config(), MockCluster.runtimes());
        RunRequest request = RunRequest.of("print(1)", "", DEFAULTS);
        assertEquals(MockCluster.config().image(), image(specs.podFor(request, RunId.random(), 100000)));
        assertEquals(MockCluster.runtimes().image("python-scientific"),
                image(specs.podFor(request.withRuntime("python-scientific"), RunId.random(), 100000)));
        assertEquals(MockCluster.config().image(), image(specs.standbyFor(DEFAULTS, RunId.random(), 100000)));
    }

    @Test
    @DisplayName("an asynchronous run's pod is labelled kept and annotated with its key, TTL and shape; a blocking one is not")
    void asynchronousRunsPodIsKept() {
        RunRequest blocking = RunRequest.of("print(1)", "", DEFAULTS);
        Pod plain = SPECS.podFor(blocking, RunId.random(), 100000);
        assertFalse(plain.getMetadata().getLabels().containsKey(Labels.KEPT));
        assertTrue(plain.getMetadata().getAnnotations().keySet().stream().noneMatch(key -> key.startsWith("sandpod.dev/")));

        RunRequest async = blocking.withKept(new Kept("alice", Duration.ofMinutes(10)));
        Pod kept = SPECS.podFor(async, RunId.random(), 100000);
        assertEquals(Labels.KEPT_VALUE, kept.getMetadata().getLabels().get(Labels.KEPT));
        Map<String, String> annotations = kept.getMetadata().getAnnotations();
        assertEquals("alice", annotations.get(KeptAnnotations.KEY));
        assertEquals("600", annotations.get(KeptAnnotations.TTL_SECONDS));
        assertEquals(RunShape.of(async, true), RunShape.from(annotations), "an asynchronous run streams");
        assertFalse(SPECS.podFor(blocking.withKept(new Kept(null, Duration.ofMinutes(10))), RunId.random(), 100000)
                .getMetadata().getAnnotations().containsKey(KeptAnnotations.KEY), "no key, no key annotation");
    }

    private static String image(Pod pod) {
        return pod.getSpec().getContainers().getFirst().getImage();
    }

    @Test
    @DisplayName("activeDeadlineSeconds = ceil(timeoutMs/1000) + 1, times the programs of a judged run")
    void deadlineRoundsUpAndAddsOneSecond() {
        assertEquals(2, PodSpecs.activeDeadlineSeconds(withTime(1)));
        assertEquals(2, PodSpecs.activeDeadlineSeconds(withTime(1000)));
        assertEquals(3, PodSpecs.activeDeadlineSeconds(withTime(2000)));
        assertEquals(4, PodSpecs.activeDeadlineSeconds(withTime(2001)));
        RunRequest judged = new RunRequest("print(1)", "", List.of(), List.of(), DEFAULTS,
                List.of(new TestCase("1", "1"), new TestCase("2", "2"), new TestCase("3", "3")));
        assertEquals(7, PodSpecs.activeDeadlineSeconds(judged));
    }

    @Test
    @DisplayName("a job of exactly the env string limit fits, one byte more is refused with the limit in the message")
    void jobSizeLimitIsMaxArgStrlen() {
        int emptyJob = JobCodec.encodeString(RunRequest.of("print(1)", "", DEFAULTS)).getBytes(StandardCharsets.UTF_8).length;
        String fits = "x".repeat(PodSpecs.MAX_JOB_BYTES - emptyJob);
        assertEquals(131059, PodSpecs.MAX_JOB_BYTES);
        SPECS.podFor(RunRequest.of("print(1)", fits, DEFAULTS), RunId.random(), 100_000);
        JobTooLargeException e = assertThrows(JobTooLargeException.class,
                () -> SPECS.podFor(RunRequest.of("print(1)", fits + "x", DEFAULTS), RunId.random(), 100_000));
        assertEquals("the job is 131060 bytes as JSON; a Kubernetes sandbox takes at most 131059 (one environment string, "
                + "Linux MAX_ARG_STRLEN 131072 bytes)", e.getMessage());
    }

    @Test
    @DisplayName("$ reaches the job as \\u0024, so Kubernetes' expansion of $(VAR) and $$ gives back the original")
    void dollarSignsSurviveKubernetesExpansion() throws Exception {
        RunRequest request = RunRequest.of("print('$(SANDPOD_JOB) $$')", "$$", DEFAULTS);
        Pod pod = SPECS.podFor(request, RunId.random(), 100_000);
        String job = pod.getSpec().getContainers().getFirst().getEnv().getFirst().getValue();
        assertFalse(job.contains("$"), job);
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(JobCodec.encodeString(request)), json.readTree(KubeExpansion.expand(job, Map.of())));
    }

    @Test
    @DisplayName("cold and standby pods mount the configured runner ConfigMap by name and run the file from it")
    void podsRunTheRunnerFromTheConfiguredConfigMap() {
        PodSpecs specs = new PodSpecs(MockCluster.config(Map.of("runner-config-map", "runner-v2")));
        RunId id = RunId.random();
        for (Pod pod : List.of(specs.podFor(hello(), id, 100_000), specs.standbyFor(DEFAULTS, id, 100_000))) {
            Volume runner = pod.getSpec().getVolumes().stream()
                    .filter(volume -> PodSpecs.RUNNER_VOLUME.equals(volume.getName())).findFirst().orElseThrow();
            assertEquals("runner-v2", runner.getConfigMap().getName());
            assertEquals(0444, runner.getConfigMap().getDefaultMode());
            Container container = pod.getSpec().getContainers().getFirst();
            assertEquals(List.of("python3", "-I", "/sandpod/runner.py"), container.getCommand().subList(0, 3));
            assertTrue(container.getVolumeMounts().stream().anyMatch(mount -> PodSpecs.RUNNER_VOLUME.equals(mount.getName())
                    && "/sandpod".equals(mount.getMountPath()) && Boolean.TRUE.equals(mount.getReadOnly())));
        }
    }

    @Test
    @DisplayName("the same inputs build the same pod: no randomness in the builder")
    void builderIsPure() {
        RunId id = RunId.random();
        assertEquals(SPECS.podFor(hello(), id, 123_456), SPECS.podFor(hello(), id, 123_456));
    }

    @Test
    @DisplayName("runtime class, priority class, node selector, tolerations, hostUsers false, extra labels and annotations")
    void optionalFieldsAppearWhenConfigured() {
        KubeConfig config = KubeConfig.from(Config.just(ConfigSources.create("""
                sandpod:
                  kubernetes:
                    replica: replica-a
                    runtime-class-name: gvisor
                    priority-class-name: sandbox-low
                    host-users: false
                    node-selector:
                      pool: sandbox
                    tolerations:
                      - key: sandbox
                        operator: Exists
                        effect: NoSchedule
                    labels:
                      team: judges
                    annotations:
                      owner: ops
                """, MediaTypes.APPLICATION_X_YAML), ConfigSources.classpath("application.yaml")).get("sandpod.kubernetes"));
        Pod pod = new PodSpecs(config).podFor(hello(), RunId.random(), 100_000);
        PodSpec spec = pod.getSpec();
        assertEquals("gvisor", spec.getRuntimeClassName());
        assertEquals("sandbox-low", spec.getPriorityClassName());
        assertEquals(Boolean.FALSE, spec.getHostUsers());
        assertEquals(Map.of("pool", "sandbox"), spec.getNodeSelector());
        assertEquals(List.of(new TolerationBuilder().withKey("sandbox").withOperator("Exists").withEffect("NoSchedule").build()),
                spec.getTolerations());
        assertEquals("judges", pod.getMetadata().getLabels().get("team"));
        assertEquals("sandbox", pod.getMetadata().getLabels().get(Labels.COMPONENT));
        assertEquals(Map.of("owner", "ops"), pod.getMetadata().getAnnotations());
    }

    @Test
    @DisplayName("UIDs go round robin through the range and wrap")
    void uidsCycleThroughTheRange() {
        Uids uids = new Uids(10, 12, 1);
        assertEquals(List.of(11, 12, 10, 11), List.of(uids.next(), uids.next(), uids.next(), uids.next()));
        Uids random = new Uids(100_000, 165_535, Long.MIN_VALUE);
        assertNotEquals(random.next(), random.next());
    }

    private static RunRequest hello() {
        return RunRequest.of("print(1)", "", DEFAULTS);
    }

    private static RunRequest withTime(int timeMs) {
        return RunRequest.of("print(1)", "", new Limits(timeMs, 2000, 128, 65536, 16 << 20, 64));
    }
}
