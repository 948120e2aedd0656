package dev.sandpod.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.sandpod.api.LimitPolicy;
import dev.sandpod.run.BundledRunner;
import dev.sandpod.run.Limits;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.helidon.config.ConfigSources;

/**
 * A fabric8 mock API server in CRUD mode with a {@link KubeletEmulator} on it, which also answers attach, plus clients
 * told apart by User-Agent so that a test can count the executor's own requests.
 *
 * <p>Public for the attack suite ({@code dev.sandpod.attacks}), which sends a subset of its attacks through this
 * cluster. It builds the server itself rather than through {@code @EnableKubernetesMockClient}: the extension keeps expectations
 * in a plain HashMap, and the emulator adds log expectations while the server's threads read that map.
 */
public final class MockCluster implements AutoCloseable {
    static final String NAMESPACE = "sandpod-sandbox";
    static final String EXECUTOR_AGENT = "sandpod-executor-under-test";
    static final String REPLICA = "replica-a";

    final KubernetesMockServer server;
    /**
     * How long the mock can stop answering. When a watch's connection closes while an event is being sent to it, the
     * mock's WatchEventsListener.onFailure waits on the server's only event loop (awaitTermination, up to a minute) for
     * the sending thread, which waits up to 30 s for its write, which only that event loop can do: a deadlock broken by
     * the write's timeout, once per event queued. The tests' own reads outlast that; the executor's client keeps the
     * service's timeouts.
     */
    private static final Duration MOCK_STALL = Duration.ofSeconds(65);

    final KubeletEmulator kubelet;
    final KubernetesClient admin;

    /** A cluster with the runner ConfigMap installed, holding the bundled runner, as the chart installs it. */
    public MockCluster() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new ConcurrentHashMap<>();
        NodeDispatcher dispatcher = new NodeDispatcher(new KubernetesMixedDispatcher(responses));
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
                dispatcher, false);
        server.init();
        admin = new KubernetesClientBuilder().withConfig(new ConfigBuilder(clientConfig("sandpod-test"))
                .withRequestTimeout((int) MOCK_STALL.toMillis()).build()).build();
        try {
            installRunner(BundledRunner.read());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        kubelet = new KubeletEmulator(server, client(KubeletEmulator.USER_AGENT), NAMESPACE);
        dispatcher.kubelet = kubelet;
        // this host's python3, with Debian's numpy, pandas and matplotlib, plays the python3 of every shipped image
        runtimes().runtimes().values().forEach(runtime -> kubelet.image(runtime.image(), SandboxProcess.PYTHON));
    }

    /** Lets the emulated kubelet answer what a node answers (attach) before the mock's expectations and CRUD. */
    private static final class NodeDispatcher extends Dispatcher {
        private final Dispatcher apiServer;
        private volatile KubeletEmulator kubelet;

        NodeDispatcher(Dispatcher apiServer) {
            this.apiServer = apiServer;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            KubeletEmulator node = kubelet;
            return (node == null ? Optional.<MockResponse>empty() : node.intercept(request))
                    .orElseGet(() -> apiServer.dispatch(request));
        }

        @Override
        public void shutdown() {
            apiServer.shutdown();
        }

        @Override
        public void releaseResources() {
            apiServer.releaseResources();
        }
    }

    /** Writes {@code runner} into the runner ConfigMap that the shipped settings name, creating it if need be. */
    void installRunner(byte[] runner) {
        ConfigMap configMap = new ConfigMapBuilder()
                .withNewMetadata().withName(config().runnerConfigMap()).withNamespace(NAMESPACE).endMetadata()
                .addToData(PodSpecs.RUNNER_KEY, new String(runner, StandardCharsets.UTF_8))
                .build();
        admin.configMaps().inNamespace(NAMESPACE).resource(configMap).createOr(NonDeletingOperation::update);
    }

    /** The shipped {@code sandpod.kubernetes} settings with {@code overrides} (keys relative to it) on top. */
    static KubeConfig config(Map<String, String> overrides) {
        Map<String, String> prefixed = new java.util.HashMap<>();
        prefixed.put("sandpod.kubernetes.replica", REPLICA);
        overrides.forEach((key, value) -> prefixed.put("sandpod.kubernetes." + key, value));
        io.helidon.config.Config config = io.helidon.config.Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(ConfigSources.create(prefixed), ConfigSources.classpath("application.yaml"))
                .build();
        return KubeConfig.from(config.get("sandpod.kubernetes"));
    }

    public static KubeConfig config() {
        return config(Map.of());
    }

    /** The shipped runtimes: the default image and python-scientific's. */
    static KubeRuntimes runtimes() {
        return KubeRuntimes.from(io.helidon.config.Config.just(ConfigSources.classpath("application.yaml"))
                .get("sandpod.kubernetes"));
    }

    KubernetesClient client(String userAgent) {
        return client(userAgent, server.url("/"));
    }

    /** A client as the service tunes it, of the API server at {@code masterUrl}: the mock, or a proxy in front of it. */
    KubernetesClient client(String userAgent, String masterUrl) {
        return new KubernetesClientBuilder().withConfig(clientConfig(userAgent, masterUrl)).build();
    }

    private Config clientConfig(String userAgent) {
        return clientConfig(userAgent, server.url("/"));
    }

    private static Config clientConfig(String userAgent, String masterUrl) {
        return KubeClients.tuned(new ConfigBuilder(Config.empty())
                .withMasterUrl(masterUrl)
                .withNamespace(NAMESPACE)
                .withUserAgent(userAgent)
                .withHttp2Disable(true)
                .build());
    }

    /** An executor as the service builds it, its warm pool sized for the shipped default limits. */
    public KubernetesExecutor executor(KubeConfig config) {
        return new KubernetesExecutor(client(EXECUTOR_AGENT), config, defaultLimits());
    }

    /** As {@link #executor(KubeConfig)}, with the shipped runtimes besides the default. */
    KubernetesExecutor executorWithRuntimes(KubeConfig config) {
        return new KubernetesExecutor(client(EXECUTOR_AGENT), config, runtimes(), defaultLimits());
    }

    static Limits defaultLimits() {
        return LimitPolicy.from(io.helidon.config.Config.just(ConfigSources.classpath("application.yaml"))
                .get("sandpod.limits")).defaults();
    }

    public List<Pod> pods() {
        return admin.pods().inNamespace(NAMESPACE).list().getItems();
    }

    /** Takes every request the server has recorded so far and keeps those sent with {@code userAgent}. */
    List<RecordedRequest> drainRequests(String userAgent) throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
            if (userAgent.equals(request.getHeader("User-Agent"))) {
                requests.add(request);
            }
        }
        return requests;
    }

    @Override
    public void close() {
        kubelet.close();
        admin.close();
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            // after heavy load the mock's shutdown can time out while a closed watch still flushes its queued
            // events (WatchEventsListener.onClosed waits on the event loop); the test has nothing left to check
        }
    }
}
