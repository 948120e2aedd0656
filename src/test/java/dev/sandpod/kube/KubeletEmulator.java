package dev.sandpod.kube;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/**
 * Makes the mock API server behave like a node for sandbox pods. It watches them with its own informer and, for each new
 * pod, does what a kubelet would: in {@link Mode#REAL} it runs the container's command for real (the runner from the
 * runner ConfigMap it mounts, read from the API server, the job from its env var, {@code /tmp} on a fresh host
 * directory: see {@link PodVolumes}), enforces
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
    private static final String STATUS_PATH = "/api/v1/namespaces/%s/pods/%s/status";
    private static final String LOG_PATH = "/api/v1/namespaces/%s/pods/%s/log?container=sandbox&limitBytes=%d";
    private static final Pattern ATTACH = Pattern.compile("/api/v1/namespaces/[^/]+/pods/([^/?]+)/attach\\?.*");
    private static final Pattern POD = Pattern.compile("/api/v1/namespaces/[^/]+/pods/([^/?]+)(\\?.*)?");
    private static final byte STDIN = 0;
    private static final byte STDOUT = 1;
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
    /** The bodies of the pod patches the API server received, in order. */
    private final List<byte[]> patches = new CopyOnWriteArrayList<>();
    /** When each pod started, to the instant: its deadline counts from there, as a kubelet counts it. */
    private final ConcurrentMap<String, Instant> starts = new ConcurrentHashMap<>();
    /** Pods whose process a lowered deadline killed: they end as DeadlineExceeded, as the kubelet ends them. */
    private final java.util.Set<String> cut = ConcurrentHashMap.newKeySet();
    private final CountDownLatch held = new CountDownLatch(1);
    private volatile Mode mode = Mode.REAL;
    /** The node's images, each as the interpreter of this host that plays its python3; any other fails to pull. */
    private final ConcurrentMap<String, String> pythonOfImage = new ConcurrentHashMap<>();
    /**
     * The node's own threads, as a kubelet is a process of its own: each pod's work blocks for its whole life in a
     * process pipe read or a wait, and on virtual threads it would pin the carriers that the service under test, in the
     * same JVM, serves HTTP on (the rule of the service's own Jails).
     */
    private final ExecutorService node =
            Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("kubelet-", 0).factory());

    KubeletEmulator(KubernetesMockServer server, KubernetesClient client, String namespace) {
        this.server = server;
        this.client = client;
        this.namespace = namespace;
        this.informer = client.pods().inNamespace(namespace).withLabel(Labels.COMPONENT, Labels.SANDBOX).inform(this);
    }

    /** Lets pods of {@code image} run, {@code python} standing in for the image's python3. */
    void image(String image, String python) {
        pythonOfImage.put(image, python);
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

    List<byte[]> patches() {
        return List.copyOf(patches);
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

    /** Requests a node answers rather than the API server's storage: attach, and the rule on a live pod's deadline. */
    Optional<MockResponse> intercept(RecordedRequest request) {
        Matcher attach = ATTACH.matcher(request.getPath());
        if ("GET".equals(request.getMethod()) && attach.matches()) {
            return Optional.of(new MockResponse().withWebSocketUpgrade(new Attached(attach.group(1))));
        }
        Matcher pod = POD.matcher(request.getPath());
        if ("PATCH".equals(request.getMethod()) && pod.matches()) {
            patches.add(request.getBody().getBytes().clone()); // the mock's storage consumes the body after us
        }
        if ("PATCH".equals(request.getMethod()) && pod.matches() && raisesDeadline(pod.group(1), patches.getLast())) {
            return Optional.of(new MockResponse().setResponseCode(422).setBody(client.getKubernetesSerialization().asJson(
                    new StatusBuilder().withStatus("Failure").withCode(422).withReason("Invalid").withMessage("Pod \""
                            + pod.group(1) + "\" is invalid: spec.activeDeadlineSeconds: Invalid value: must be less than"
                            + " or equal to previous value").build())));
        }
        return Optional.empty();
    }

    /** The API server's rule the mock lacks: a live pod's activeDeadlineSeconds may be set or lowered, never raised. */
    private boolean raisesDeadline(String podName, byte[] patch) {
        Pod current = informer.getStore().getByKey(namespace + "/" + podName);
        try {
            JsonNode wanted = JSON.readTree(patch).path("spec").path("activeDeadlineSeconds");
            Long previous = current == null ? null : current.getSpec().getActiveDeadlineSeconds();
            return previous != null && wanted.isNumber() && wanted.asLong() > previous;
        } catch (IOException e) {
            return false; // not JSON: the mock itself will refuse it
        }
    }

    /** One attach: gathers stdin up to the job's newline, then has the standby pod's runner serve that job. */
    private final class Attached extends WebSocketListener {
        private final String podName;
        private final ByteArrayOutputStream stdin = new ByteArrayOutputStream();

        Attached(String podName) {
            this.podName = podName;
        }

        @Override
        public void onMessage(WebSocket socket, byte[] frame) {
            receive(socket, frame);
        }

        @Override
        public void onMessage(WebSocket socket, ByteString frame) {
            receive(socket, frame.toByteArray());
        }

        private void receive(WebSocket socket, byte[] frame) {
            if (frame.length > 1 && frame[0] == STDIN) {
                stdin.write(frame, 1, frame.length - 1);
                if (frame[frame.length - 1] == '\n') {
                    byte[] job = stdin.toByteArray();
                    node.execute(() -> serveAttached(podName, job, socket));
                }
            }
        }
    }

    /**
     * Runs a claimed standby pod's job (REAL: its runner reads it from stdin; INSTANT: an echo), sends the runner's
     * stdout back on channel 1, and reports the pod's end. The deadline is the claim's, counted from the pod's start.
     */
    private void serveAttached(String podName, byte[] jobLine, WebSocket socket) {
        try {
            Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
            JsonNode job = JSON.readTree(jobLine);
            Outcome outcome;
            if (mode == Mode.INSTANT) {
                outcome = Outcome.echoing(job);
            } else {
                try (PodVolumes volumes = PodVolumes.lay(client, pod)) {
                    // the runner's stdout goes out on channel 1 as it is written, as a kubelet's attach streams it
                    outcome = execute(pod, starts.get(podName).plusSeconds(pod.getSpec().getActiveDeadlineSeconds()),
                            jobLine, volumes, bytes -> sendStdout(socket, bytes));
                }
            }
            if (outcome == null) {
                return;
            }
            if (mode == Mode.INSTANT) {
                sendStdout(socket, outcome.log().getBytes(StandardCharsets.UTF_8));
            }
            socket.close(1000, "exited");
            report(pod, job, outcome);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (KubernetesClientException e) {
            // deleted under us
        }
    }

    private static void sendStdout(WebSocket socket, byte[] bytes) {
        socket.send(ByteBuffer.allocate(bytes.length + 1).put(STDOUT).put(bytes).array());
    }

    @Override
    public void onAdd(Pod pod) {
        // pods created with a status (a dead replica's, in tests) are not new to any node
        if (pod.getStatus() == null || pod.getStatus().getPhase() == null) {
            node.execute(() -> play(pod));
        }
    }

    /** A live pod's deadline lowered (a cancel sets 1 s) ends its process once start plus the new deadline passes. */
    @Override
    public void onUpdate(Pod oldPod, Pod newPod) {
        String name = newPod.getMetadata().getName();
        Long was = oldPod.getSpec().getActiveDeadlineSeconds();
        Long now = newPod.getSpec().getActiveDeadlineSeconds();
        Instant started = starts.get(name);
        if (was == null || now == null || now >= was || started == null) {
            return;
        }
        node.execute(() -> {
            try {
                Thread.sleep(Math.max(0, Instant.now().until(started.plusSeconds(now), ChronoUnit.MILLIS)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            SandboxProcess process = processes.get(name);
            if (process != null) {
                cut.add(name);
                process.kill();
            }
        });
    }

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        starts.remove(pod.getMetadata().getName());
        Optional.ofNullable(processes.remove(pod.getMetadata().getName())).ifPresent(SandboxProcess::kill);
    }

    @Override
    public void close() {
        held.countDown();
        informer.close();
        processes.values().forEach(SandboxProcess::kill);
        node.shutdownNow();
        client.close();
    }

    private void play(Pod pod) {
        String name = pod.getMetadata().getName();
        if (seen.putIfAbsent(name, pod) != null) {
            return;
        }
        try {
            if (Labels.STANDBY.equals(pod.getMetadata().getLabels().get(Labels.STATE))
                    && (mode == Mode.REAL || mode == Mode.INSTANT)) {
                starts.put(name, Instant.now()); // its runner waits for an attach (see serveAttached)
                setStatus(pod, running());
                return;
            }
            switch (mode) {
                case REAL -> {
                    if (pythonOfImage.containsKey(image(pod))) {
                        runForReal(pod);
                    } else {
                        setStatus(pod, waiting("ErrImagePull"));
                    }
                }
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
                case OOM_KILLED -> report(setStatus(pod, running()), job(pod), new Outcome("", true, 137, true));
                case DEADLINE_EXCEEDED -> report(setStatus(pod, running()), job(pod), new Outcome("", false, 137, false));
                case DEADLINE_BEFORE_START -> failNeverStarted(pod);
                case NEVER_ENDS -> setStatus(pod, running());
                default -> throw new IllegalStateException("unknown mode " + mode);
            }
        } catch (KubernetesClientException e) {
            // the executor gave up and deleted the pod while we played it: a real node would not care either
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void succeedEchoing(Pod running) {
        JsonNode job = job(running);
        report(running, job, Outcome.echoing(job));
    }

    /** The deadline passed while the container was still being created: Failed, DeadlineExceeded, never started. */
    private void failNeverStarted(Pod pod) {
        setStatus(pod, new PodStatusBuilder(waiting("ContainerCreating")).withPhase("Failed")
                .withReason(PodState.DEADLINE_EXCEEDED)
                .withMessage("Pod was active on the node longer than the specified deadline").build());
    }

    private void runForReal(Pod pod) throws IOException, InterruptedException {
        // like a kubelet, count the deadline from the start time it holds, not the one serialized to whole seconds
        Instant started = Instant.now();
        starts.put(pod.getMetadata().getName(), started);
        Instant deadline = started.plusSeconds(pod.getSpec().getActiveDeadlineSeconds());
        PodVolumes volumes;
        try {
            volumes = PodVolumes.lay(client, pod);
        } catch (PodVolumes.MissingConfigMapException e) {
            // a kubelet retries the mount (FailedMount events) with the container in ContainerCreating until the deadline
            setStatus(pod, waiting("ContainerCreating"));
            Thread.sleep(Math.max(0, Instant.now().until(deadline, ChronoUnit.MILLIS)));
            failNeverStarted(pod);
            return;
        }
        try (volumes) {
            Pod running = setStatus(pod, running());
            Outcome outcome = execute(running, deadline, new byte[0], volumes, bytes -> { });
            if (outcome != null) {
                report(running, job(running), outcome);
            }
        }
    }

    /** What a container did: its log, and how it ended (it may have been killed at the deadline instead). */
    private record Outcome(String log, boolean exited, int exitCode, boolean oomKilled) {
        static Outcome echoing(JsonNode job) {
            return new Outcome(envelopeEchoing(job.path("input").asText()), true, 0, false);
        }
    }

    /**
     * Runs the container's command for real, on {@code volumes}, until it exits or the deadline passes; null when the pod
     * went meanwhile.
     */
    private Outcome execute(Pod pod, Instant deadline, byte[] stdin, PodVolumes volumes, Consumer<byte[]> live)
            throws IOException, InterruptedException {
        String name = pod.getMetadata().getName();
        try (SandboxProcess sandbox = start(pod, volumes, stdin)) {
            processes.put(name, sandbox);
            Process process = sandbox.process();
            CompletableFuture<byte[]> log = CompletableFuture.supplyAsync(() -> readAll(process, live), node);
            long untilDeadline = Math.max(0, Instant.now().until(deadline, ChronoUnit.MILLIS));
            boolean exited = process.waitFor(untilDeadline, TimeUnit.MILLISECONDS) && !cut.remove(name);
            if (!exited) {
                sandbox.kill();
            }
            String output = new String(log.join(), StandardCharsets.UTF_8);
            if (processes.remove(name) == null) {
                return null;
            }
            int exitCode = exited ? process.exitValue() : 137;
            return new Outcome(output, exited, exitCode, exitCode == 137 && sandbox.oomKilled());
        }
    }

    /** Serves the log and writes the terminated status, as a kubelet reports a container's end. */
    private void report(Pod running, JsonNode job, Outcome outcome) {
        serveLog(running, job, outcome.log());
        PodStatus status = running.getStatus();
        if (!outcome.exited()) {
            setStatus(running, terminated(status, "Failed", PodState.DEADLINE_EXCEEDED, 137, "Error"));
            return;
        }
        int exitCode = outcome.exitCode();
        String reason = exitCode == 0 ? "Completed" : outcome.oomKilled() ? PodState.OOM_KILLED : "Error";
        setStatus(running, terminated(status, exitCode == 0 ? "Succeeded" : "Failed", null, exitCode, reason));
    }

    /**
     * The container's process as a kubelet would start it: expanded command, the pod's env only, its volumes on this host
     * (the runner from the runner ConfigMap, /tmp on an emptyDir, the working directory in it), the pod's UID/GID and the
     * container's memory limit; {@code stdin} is what an attach sends it.
     */
    private SandboxProcess start(Pod pod, PodVolumes volumes, byte[] stdin) throws IOException {
        Container container = pod.getSpec().getContainers().getFirst();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOSTNAME", pod.getMetadata().getName());
        for (EnvVar variable : container.getEnv()) {
            env.put(variable.getName(), KubeExpansion.expand(variable.getValue(), env));
        }
        List<String> argv = new ArrayList<>();
        Stream.concat(container.getCommand().stream(), container.getArgs().stream())
                .map(arg -> KubeExpansion.expand(arg, env))
                .map(volumes::onHost)
                .forEach(argv::add);
        argv.set(0, pythonOfImage.get(container.getImage())); // the image's python3
        PodSecurityContext security = pod.getSpec().getSecurityContext();
        long memoryBytes = Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")).longValueExact();
        return SandboxProcess.start(pod.getMetadata().getName(), argv, env, volumes.hostDir(PodSpecs.TMP),
                security.getRunAsUser(), security.getRunAsGroup(), memoryBytes, stdin);
    }

    private void serveLog(Pod pod, JsonNode job, String log) {
        JsonNode limits = job.path("limits");
        int limitBytes = KubernetesExecutor.logLimitBytes(limits.path("outputBytes").asLong(), job.path("tests").size(),
                limits.path("outFiles").asInt(), limits.path("outFilesBytes").asLong(), job.path("stream").asBoolean());
        byte[] bytes = log.getBytes(StandardCharsets.UTF_8);
        String served = bytes.length <= limitBytes ? log : new String(bytes, 0, limitBytes, StandardCharsets.UTF_8);
        var expectation = server.expect().get()
                .withPath(LOG_PATH.formatted(namespace, pod.getMetadata().getName(), limitBytes)).andReturn(200, served);
        // a kept pod's log stays readable, to every replica, until it is deleted
        if (Labels.kept(pod)) {
            expectation.always();
        } else {
            expectation.once();
        }
    }

    /**
     * Writes the pod's status as a kubelet does, through the status subresource, and returns the pod as written. One PUT
     * of a pod that shares the metadata and spec of the one given (never modified): updateStatus would first copy the pod
     * with a builder and parse the answer back, and a JSON patch costs the mock more than the PUT. The resourceVersion is
     * left out, so the write is unconditional, as the kubelet's status manager makes it.
     */
    private static String image(Pod pod) {
        return pod.getSpec().getContainers().getFirst().getImage();
    }

    private Pod setStatus(Pod pod, PodStatus status) {
        ObjectMeta metadata = new ObjectMetaBuilder(pod.getMetadata()).withResourceVersion(null).build();
        Pod written = new Pod(pod.getApiVersion(), pod.getKind(), metadata, pod.getSpec(), status);
        if (client.raw(STATUS_PATH.formatted(namespace, metadata.getName()), "PUT", written) == null) {
            throw new KubernetesClientException("pod " + metadata.getName() + " is gone", 404, null);
        }
        return written;
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

    /** The process's whole stdout; {@code live} sees each piece as it is read. */
    private static byte[] readAll(Process process, Consumer<byte[]> live) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (InputStream in = process.getInputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                all.write(buffer, 0, n);
                live.accept(Arrays.copyOf(buffer, n));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all.toByteArray();
    }
}
