package dev.sandpod.kube;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.sandpod.run.JobCodec;
import dev.sandpod.run.JobTooLargeException;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;

/**
 * The sandbox pod of one run (DESIGN §4), or a warm pool's standby pod (§6), built from the request or the pool's limits,
 * an id and a UID the caller picked: no API calls and no randomness, so the same inputs always give the same pod.
 *
 * <p>The runner is not in the pod: it is mounted read-only from the one ConfigMap the chart installs with the runner of
 * the service's own release, so that a pod spec is a few KB instead of carrying the 27 KB runner through the API server,
 * etcd and every watch event.
 *
 * <p>The job travels in one environment variable, {@value #JOB_ENV}. An env var keeps the run to a single API call (no
 * ConfigMap per run) and needs no volume. The alternative, a downward-API annotation, allows 256 KiB in total but needs a
 * downwardAPI volume, which podman's {@code kube play} cannot mount, and podman rejects annotation values over 63
 * characters. The price is Linux's {@code MAX_ARG_STRLEN}: one env string, {@code NAME=value} and its NUL, holds at most
 * 131072 bytes, and a bigger job is refused with {@link JobTooLargeException} (HTTP 413). That cap is per string, so the
 * runner's move out of the command line left it where it was; the total of argv and env (a quarter of the stack limit,
 * 2 MiB by default) is far above it.
 *
 * <p>Kubernetes expands {@code $(VAR)} and turns {@code $$} into {@code $} in env values, command and args. The job JSON
 * therefore spells every {@code $} as {@code \u0024}, which JSON reads back as the same character, so that it reaches the
 * process byte for byte.
 */
final class PodSpecs {
    static final String CONTAINER = "sandbox";
    static final String JOB_ENV = "SANDPOD_JOB";
    static final String TMP = "/tmp";
    static final String WORKDIR = TMP + "/run";
    static final String RUNNER_VOLUME = "runner";
    /** Where the runner ConfigMap is mounted: a directory of its own, so the mount hides nothing of the image. */
    static final String RUNNER_DIR = "/sandpod";
    /** The runner ConfigMap's one key, which is also the runner's file name in the pod. */
    static final String RUNNER_KEY = "runner.py";
    static final String RUNNER_PATH = RUNNER_DIR + "/" + RUNNER_KEY;
    /** r--r--r--: any sandbox UID may read the runner, none may change it. */
    static final int RUNNER_MODE = 0444;
    /** Linux {@code MAX_ARG_STRLEN}: the longest single argv or environment string, its terminating NUL included. */
    static final int MAX_ARG_STRLEN = 131072;
    static final int MAX_JOB_BYTES = MAX_ARG_STRLEN - (JOB_ENV + "=").length() - 1;
    private static final String TMP_VOLUME = "tmp";

    /** A standby pod waits this long for a run, counted from its start; the pool replaces it after. */
    static final long STANDBY_DEADLINE_SECONDS = 600;

    private final KubeConfig config;
    private final KubeRuntimes runtimes;

    PodSpecs(KubeConfig config) {
        this(config, KubeRuntimes.only(config.image()));
    }

    /** @param runtimes the image of each runtime; the default's is {@code config.image()} */
    PodSpecs(KubeConfig config, KubeRuntimes runtimes) {
        this.config = config;
        this.runtimes = runtimes;
    }

    /**
     * {@code activeDeadlineSeconds}: the program's wall limit rounded up to seconds, times the number of programs a judged
     * run starts, plus one second for the runner to start and report (3 at the default 2000 ms).
     */
    static long activeDeadlineSeconds(RunRequest request) {
        long programs = Math.max(1, request.tests().size());
        return (request.limits().timeMs() * programs + 999) / 1000 + 1;
    }

    /**
     * The pod of a cold run: the job is in its environment.
     *
     * @throws JobTooLargeException when the job JSON does not fit in one environment string
     */
    Pod podFor(RunRequest request, RunId id, int uid) {
        return podFor(request, id, uid, false);
    }

    /** As {@link #podFor(RunRequest, RunId, int)}; {@code stream}: the runner prints the output as it comes too. */
    Pod podFor(RunRequest request, RunId id, int uid, boolean stream) {
        JobChannel inEnvironment = new JobChannel(List.of("--job-env", JOB_ENV),
                List.of(new EnvVar(JOB_ENV, jobJson(request, stream), null)), false);
        Map<String, String> labels = Labels.forRun(id, config.replica(), config.labels());
        Map<String, String> annotations = new LinkedHashMap<>(config.annotations());
        if (request.kept() != null) {
            labels.put(Labels.KEPT, Labels.KEPT_VALUE);
            annotations.putAll(KeptAnnotations.atStart(request));
        }
        return sandbox(id, uid, runtimes.image(request.runtime()), request.limits(), activeDeadlineSeconds(request),
                labels, annotations, inEnvironment);
    }

    /**
     * A warm pool's standby pod, of the default runtime's image and sized for {@code shape}: its runner waits for the job
     * on stdin, which a claim attaches to. {@code id} only names the pod until a claim relabels it with the run it serves.
     */
    Pod standbyFor(Limits shape, RunId id, int uid) {
        return sandbox(id, uid, config.image(), shape, STANDBY_DEADLINE_SECONDS,
                Labels.forStandby(id, config.replica(), config.labels()), config.annotations(),
                new JobChannel(List.of("--job-stdin"), List.of(), true));
    }

    /**
     * The job as the runner reads it: JSON with every {@code $} escaped (see the class comment).
     *
     * @throws JobTooLargeException when it does not fit in one environment string; warm runs keep to the same cap, so
     *                              that whether a job is accepted never depends on the state of the pool
     */
    static String jobJson(RunRequest request, boolean stream) {
        String json = JobCodec.encodeString(request, stream).replace("$", "\\u0024");
        int bytes = json.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_JOB_BYTES) {
            throw new JobTooLargeException("the job is " + bytes + " bytes as JSON; a Kubernetes sandbox takes at most "
                    + MAX_JOB_BYTES + " (one environment string, Linux MAX_ARG_STRLEN " + MAX_ARG_STRLEN + " bytes)");
        }
        return json;
    }

    /** How the runner gets its job: its command-line arguments, the container's env, and whether stdin stays open. */
    private record JobChannel(List<String> args, List<EnvVar> env, boolean stdin) {
    }

    private Pod sandbox(RunId id, int uid, String image, Limits limits, long deadlineSeconds, Map<String, String> labels,
                        Map<String, String> annotations, JobChannel job) {
        Map<String, Quantity> resources = Map.of(
                "cpu", config.cpu(),
                "memory", new Quantity((limits.memoryMb() + config.runnerOverheadMb()) + "Mi"),
                "ephemeral-storage", config.ephemeralStorage());
        return new PodBuilder()
                .withNewMetadata()
                    .withName(PodNames.of(id))
                    .withNamespace(config.namespace())
                    .withLabels(labels)
                    .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                    .withRestartPolicy("Never")
                    .withActiveDeadlineSeconds(deadlineSeconds)
                    .withTerminationGracePeriodSeconds(0L)
                    .withServiceAccountName(config.serviceAccount())
                    .withAutomountServiceAccountToken(false)
                    .withEnableServiceLinks(false)
                    .withHostNetwork(false)
                    .withHostPID(false)
                    .withHostIPC(false)
                    .withHostUsers(config.hostUsers() ? null : Boolean.FALSE)
                    .withRuntimeClassName(emptyToNull(config.runtimeClassName()))
                    .withPriorityClassName(emptyToNull(config.priorityClassName()))
                    .withNodeSelector(config.nodeSelector())
                    .withTolerations(config.tolerations())
                    .withDnsPolicy("None")
                    .withNewDnsConfig()
                        .withNameservers(config.dnsNameserver())
                    .endDnsConfig()
                    .withNewSecurityContext()
                        .withRunAsNonRoot(true)
                        .withRunAsUser((long) uid)
                        .withRunAsGroup((long) uid)
                        .withFsGroup((long) uid)
                        .withNewSeccompProfile()
                            .withType("RuntimeDefault")
                        .endSeccompProfile()
                    .endSecurityContext()
                    .addNewContainer()
                        .withName(CONTAINER)
                        .withImage(image)
                        .withImagePullPolicy(config.imagePullPolicy())
                        .addToCommand("python3", "-I", RUNNER_PATH)
                        .addAllToCommand(job.args())
                        .addToCommand("--rlimit-nproc", "--workdir", WORKDIR)
                        .withEnv(job.env())
                        .withStdin(job.stdin())
                        .withStdinOnce(job.stdin())
                        .withNewResources()
                            .withRequests(resources)
                            .withLimits(resources)
                        .endResources()
                        .withNewSecurityContext()
                            .withAllowPrivilegeEscalation(false)
                            .withPrivileged(false)
                            .withReadOnlyRootFilesystem(true)
                            .withRunAsNonRoot(true)
                            .withNewCapabilities()
                                .withDrop("ALL")
                            .endCapabilities()
                        .endSecurityContext()
                        .addNewVolumeMount()
                            .withName(TMP_VOLUME)
                            .withMountPath(TMP)
                        .endVolumeMount()
                        .addNewVolumeMount()
                            .withName(RUNNER_VOLUME)
                            .withMountPath(RUNNER_DIR)
                            .withReadOnly(true)
                        .endVolumeMount()
                    .endContainer()
                    .addNewVolume()
                        .withName(TMP_VOLUME)
                        .withNewEmptyDir()
                            .withMedium("Memory")
                            .withSizeLimit(new Quantity(Long.toString(limits.fileBytes())))
                        .endEmptyDir()
                    .endVolume()
                    .addNewVolume()
                        .withName(RUNNER_VOLUME)
                        .withNewConfigMap()
                            .withName(config.runnerConfigMap())
                            .withDefaultMode(RUNNER_MODE)
                        .endConfigMap()
                    .endVolume()
                .endSpec()
                .build();
    }

    private static String emptyToNull(String value) {
        return value.isEmpty() ? null : value;
    }
}
