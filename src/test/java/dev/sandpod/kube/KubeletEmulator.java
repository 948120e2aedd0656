package dev.sandpod.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;

/**
 * Makes the mock API server behave like a node for sandbox pods. It watches them with its own informer and, for each new
 * pod, does what a kubelet would: in {@link Mode#REAL} it runs the container's command for real (the runner from the
 * pod's {@code -c} argument, the job from its env var, {@code /tmp} mapped to a fresh host directory), enforces
 * {@code activeDeadlineSeconds}, serves the output as the pod's log and writes {@code status} through the status
 * subresource. The other modes inject one failure each.
 *
 * <p>The process starts through {@link SandboxProcess}: as root it is PID 1 of its own PID namespace, under the pod's
 * UID/GID and in a memory cgroup with the container's limit, as in a container. The local backend's jail cannot be
 * reused for this: its API takes a run request, not a container's command line.
 *
 * <p>The pods/log endpoint is not emulated by the mock's CRUD mode (it answers 200 with a List of every object), so each
 * log is an expectation on the exact path the executor calls, taken from the mock's "received request" log line.
 */
final class KubeletEmulator implements ResourceEventHandler<Pod>, AutoCloseable {
    static final String USER_AGENT = "sandpod-kubelet-emulator";
    private static final String LOG_PATH = "/api/v1/namespaces/%s/pods/%s/log?container=sandbox&limitBytes=%d";
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Mode {
        /** Run the container command for real and report what it did. */
        REAL,
        /** Answer at once with an ok envelope whose stdout is the job's input, for load tests. */
        INSTANT,
        ERR_IMAGE_PULL,
        IMAGE_PULL_BACK_OFF,
        /** Never scheduled: Pending with PodScheduled=False (Unschedulable). */
        STUCK_PENDING,
        /** The container is killed by the OOM killer: exit 137, reason OOMKilled, no envelope. */
        OOM_KILLED,
        /** The kubelet kills the pod at its deadline: Failed, reason DeadlineExceeded, exit 137, no envelope. */
        DEADLINE_EXCEEDED,
        /** The deadline passes while the image is still being pulled: the container never starts. */
        DEADLINE_BEFORE_START,
        /** Running forever, and the kubelet never reports an end. */
        NEVER_ENDS,
        /** Like {@link #INSTANT}, but each pod stays Running until {@link #releaseHeld()}: runs pile up in flight. */
        HELD
    }

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final String namespace;
    private final SharedIndexInformer<Pod> informer;
    private final ConcurrentMap<String, Pod> seen = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, SandboxProcess> processes = new ConcurrentHashMap<>();
    private final CountDownLatch held = new CountDownLatch(1);
    private volatile Mode mode = Mode.REAL;

    KubeletEmulator(KubernetesMockServer server, KubernetesClient client, String namespace) {
        this.server = server;
        this.client = client;
        this.namespace = namespace;
        this.informer = client.pods().inNamespace(namespace).withLabel(Labels.COMPONENT, Labels.SANDBOX).inform(this);
    }

    /** How the pods created from now on behave. */
    void mode(Mode newMode) {
        mode = newMode;
    }

    /** Lets every {@link Mode#HELD} pod, waiting or to come, finish. */
    void releaseHeld() {
        held.countDown();
    }

    /** The next {@code times} pod creates answer {@code code} with a Status carrying {@code message}, as admission would. */
    void rejectCreates(int times, int code, String reason, String message) {
        server.expect().post().withPath("/api/v1/namespaces/" + namespace + "/pods")
                .andReturn(code, new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason)
                        .withMessage(message).build())
                .times(times);
    }

    /** The pod as the API server stored it, from the watch event that announced it. */
    Optional<Pod> seen(String podName) {
        return Optional.ofNullable(seen.get(podName));
    }

    int seenCount() {
        return seen.size();
    }

    /** Drops the pods seen so far, which a long benchmark would otherwise keep. */
    void forgetSeen() {
        seen.clear();
    }

    @Override
    public void onAdd(Pod pod) {
        // pods created with a status (a dead replica's, in tests) are not new to any node
        if (pod.getStatus() == null || pod.getStatus().getPhase() == null) {
            Thread.startVirtualThread(() -> play(pod));
        }
    }

    @Override
    public void onUpdate(Pod oldPod, Pod newPod) {
    }

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        Optional.ofNullable(processes.remove(pod.getMetadata().getName())).ifPresent(SandboxProcess::kill);
    }

    @Override
    public void close() {
        held.countDown();
        informer.close();
        processes.values().forEach(SandboxProcess::kill);
        client.close();
    }

    private void play(Pod pod) {
        if (seen.putIfAbsent(pod.getMetadata().getName(), pod) != null) {
            return;
        }
        try {
            switch (mode) {
                case REAL -> runForReal(pod);
                case INSTANT -> succeedEchoing(setStatus(pod, running()));
                case HELD -> {
                    Pod running = setStatus(pod, running());
                    held.await();
                    succeedEchoing(running);
                }
                case ERR_IMAGE_PULL -> setStatus(pod, waiting("ErrImagePull"));
                case IMAGE_PULL_BACK_OFF -> setStatus(pod, waiting("ImagePullBackOff"));
                case STUCK_PENDING -> setStatus(pod, new PodStatusBuilder().withPhase("Pending")
                        .addNewCondition().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                        .withMessage("0/3 nodes are available: 3 Insufficient memory.").endCondition().build());
                case OOM_KILLED -> {
                    Pod running = setStatus(pod, running());
                    serveLog(pod, "");
                    setStatus(running, terminated(running.getStatus(), "Failed", null, 137, PodState.OOM_KILLED));
                }
                case DEADLINE_EXCEEDED -> {
                    Pod running = setStatus(pod, running());
                    serveLog(pod, "");
                    setStatus(running, terminated(running.getStatus(), "Failed", PodState.DEADLINE_EXCEEDED, 137, "Error"));
                }
                case DEADLINE_BEFORE_START -> {
                    PodStatus pulling = waiting("ContainerCreating");
                    setStatus(pod, new PodStatusBuilder(pulling).withPhase("Failed").withReason(PodState.DEADLINE_EXCEEDED)
                            .withMessage("Pod was active on the node longer than the specified deadline").build());
                }
                case NEVER_ENDS -> setStatus(pod, running());
                default -> throw new IllegalStateException("unknown mode " + mode);
            }
        } catch (KubernetesClientException e) {
            // the executor gave up and deleted the pod while we played it: a real node would not care either
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void succeedEchoing(Pod running) {
        serveLog(running, envelopeEchoing(job(running).path("input").asText()));
        setStatus(running, terminated(running.getStatus(), "Succeeded", null, 0, "Completed"));
    }

    private void runForReal(Pod pod) {
        // like a kubelet, count the deadline from the start time it holds, not the one serialized to whole seconds
        Instant deadline = Instant.now().plusSeconds(pod.getSpec().getActiveDeadlineSeconds());
        Pod running = setStatus(pod, running());
        String name = pod.getMetadata().getName();
        Path tmp = emptyDir();
        try (SandboxProcess sandbox = start(pod, tmp)) {
            processes.put(name, sandbox);
            Process process = sandbox.process();
            CompletableFuture<byte[]> log = CompletableFuture.supplyAsync(() -> readAll(process), Thread::startVirtualThread);
            long untilDeadline = Math.max(0, Instant.now().until(deadline, ChronoUnit.MILLIS));
            boolean exited = process.waitFor(untilDeadline, TimeUnit.MILLISECONDS);
            if (!exited) {
                sandbox.kill();
            }
            String output = new String(log.join(), StandardCharsets.UTF_8);
            if (processes.remove(name) == null) {
                return; // deleted under us
            }
            serveLog(pod, output);
            if (!exited) {
                setStatus(running, terminated(running.getStatus(), "Failed", PodState.DEADLINE_EXCEEDED, 137, "Error"));
                return;
            }
            int exitCode = process.exitValue();
            String reason = exitCode == 0 ? "Completed" : exitCode == 137 && sandbox.oomKilled() ? PodState.OOM_KILLED : "Error";
            setStatus(running, terminated(running.getStatus(), exitCode == 0 ? "Succeeded" : "Failed", null, exitCode, reason));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * The container's process as a kubelet would start it: expanded command, the pod's env only, /tmp on the emptyDir,
     * the pod's UID/GID and the container's memory limit.
     */
    private static SandboxProcess start(Pod pod, Path tmp) throws IOException {
        Container container = pod.getSpec().getContainers().getFirst();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOSTNAME", pod.getMetadata().getName());
        for (EnvVar variable : container.getEnv()) {
            env.put(variable.getName(), KubeExpansion.expand(variable.getValue(), env));
        }
        List<String> argv = new ArrayList<>();
        Stream.concat(container.getCommand().stream(), container.getArgs().stream())
                .map(arg -> KubeExpansion.expand(arg, env))
                .map(arg -> onHost(arg, container.getVolumeMounts(), tmp))
                .forEach(argv::add);
        argv.set(0, SandboxProcess.PYTHON); // the image's python3
        PodSecurityContext security = pod.getSpec().getSecurityContext();
        long memoryBytes = Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")).longValueExact();
        return SandboxProcess.start(pod.getMetadata().getName(), argv, env, tmp, security.getRunAsUser(),
                security.getRunAsGroup(), memoryBytes);
    }

    private static String onHost(String arg, List<VolumeMount> mounts, Path tmp) {
        for (VolumeMount mount : mounts) {
            String path = mount.getMountPath();
            if (arg.equals(path) || arg.startsWith(path + "/")) {
                return tmp + arg.substring(path.length());
            }
        }
        return arg;
    }

    private void serveLog(Pod pod, String log) {
        JsonNode job = job(pod);
        int limitBytes = KubernetesExecutor.logLimitBytes(job.path("limits").path("outputBytes").asLong(),
                job.path("tests").size());
        byte[] bytes = log.getBytes(StandardCharsets.UTF_8);
        String served = bytes.length <= limitBytes ? log : new String(bytes, 0, limitBytes, StandardCharsets.UTF_8);
        server.expect().get().withPath(LOG_PATH.formatted(namespace, pod.getMetadata().getName(), limitBytes))
                .andReturn(200, served).once();
    }

    private Pod setStatus(Pod pod, PodStatus status) {
        return client.pods().inNamespace(namespace).resource(new PodBuilder(pod).withStatus(status).build()).updateStatus();
    }

    private static PodStatus running() {
        String now = now();
        ContainerStatus container = new ContainerStatusBuilder().withName(PodSpecs.CONTAINER).withReady(true)
                .withStarted(true).withRestartCount(0).withImage("python:3.13-slim")
                .withNewState().withNewRunning().withStartedAt(now).endRunning().endState().build();
        return new PodStatusBuilder().withPhase("Running").withStartTime(now).withContainerStatuses(container).build();
    }

    private static PodStatus terminated(PodStatus running, String phase, String podReason, int exitCode, String reason) {
        String startedAt = running.getContainerStatuses().getFirst().getState().getRunning().getStartedAt();
        ContainerStatus container = new ContainerStatusBuilder().withName(PodSpecs.CONTAINER).withReady(false)
                .withStarted(false).withRestartCount(0).withImage("python:3.13-slim")
                .withNewState().withNewTerminated().withExitCode(exitCode).withReason(reason).withStartedAt(startedAt)
                .withFinishedAt(now()).endTerminated().endState().build();
        return new PodStatusBuilder(running).withPhase(phase).withReason(podReason).withContainerStatuses(container).build();
    }

    private static PodStatus waiting(String reason) {
        ContainerStatus container = new ContainerStatusBuilder().withName(PodSpecs.CONTAINER).withReady(false)
                .withStarted(false).withRestartCount(0).withImage("python:3.13-slim")
                .withNewState().withNewWaiting().withReason(reason).withMessage("emulated " + reason).endWaiting().endState()
                .build();
        return new PodStatusBuilder().withPhase("Pending").withStartTime(now()).withContainerStatuses(container).build();
    }

    private static JsonNode job(Pod pod) {
        String value = pod.getSpec().getContainers().getFirst().getEnv().stream()
                .filter(env -> PodSpecs.JOB_ENV.equals(env.getName())).findFirst().orElseThrow().getValue();
        try {
            return JSON.readTree(KubeExpansion.expand(value, Map.of()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String envelopeEchoing(String input) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("status", "ok");
        result.put("exitCode", 0);
        result.put("signal", null);
        result.put("stdout", input);
        result.put("stderr", "");
        result.put("output", input);
        result.put("truncated", false);
        result.put("timeMs", 1);
        result.put("cpuMs", 1);
        result.put("memoryKb", 1);
        result.put("detail", null);
        try {
            return "SANDPOD-RESULT " + JSON.writeValueAsString(result) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static Path emptyDir() {
        try {
            Path dir = Files.createTempDirectory("sandpod-emptydir-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] readAll(Process process) {
        try {
            return process.getInputStream().readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
