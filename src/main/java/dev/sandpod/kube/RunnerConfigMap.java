package dev.sandpod.kube;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Watches over the one ConfigMap that every sandbox pod mounts its runner from: the backend is ready only while that
 * ConfigMap holds, byte for byte, the runner bundled with this service. Otherwise {@link #unreadyReason()} says what is
 * wrong, readiness fails with it and runs answer 503, because a pod would run a runner of another version.
 *
 * <p>The service checks the ConfigMap rather than writing it. The chart (or k8s/) owns it, so Helm stays its only
 * writer and its drift detection holds; two replicas of different versions during a rolling upgrade never overwrite each
 * other's runner back and forth; and the service needs only {@code get} on this one ConfigMap, no write access to
 * anything a sandbox executes. The check is one GET at start and one per {@link #CHECK_INTERVAL}, never one per run; a
 * replica of the old version goes unready within that interval once an upgrade has replaced the runner.
 */
final class RunnerConfigMap implements AutoCloseable {
    /** The ConfigMap's key, which is also the runner's file name in the pod. */
    static final String KEY = "runner.py";
    static final Duration CHECK_INTERVAL = Duration.ofSeconds(30);
    private static final System.Logger LOG = System.getLogger(RunnerConfigMap.class.getName());

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String bundled;
    private final ScheduledExecutorService checker;
    private volatile String unreadyReason;

    /** Checks at once, in the background, and then every {@link #CHECK_INTERVAL}. */
    RunnerConfigMap(KubernetesClient client, KubeConfig config, String bundled) {
        this.client = client;
        this.namespace = config.namespace();
        this.name = config.runnerConfigMap();
        this.bundled = bundled;
        this.unreadyReason = "the runner ConfigMap " + reference() + " has not been read yet";
        this.checker = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sandpod-runner-check").daemon().factory());
        checker.scheduleWithFixedDelay(this::checkQuietly, 0, CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Why sandboxes would not run this service's runner, or null when the ConfigMap holds it. */
    String unreadyReason() {
        return unreadyReason;
    }

    /** Reads the ConfigMap once and records the verdict; an API error keeps the last one, the watch reports outages. */
    void check() {
        ConfigMap configMap;
        try {
            configMap = client.configMaps().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) { // RBAC: the operator has to act, as for a missing ConfigMap
                unreadyReason = "the service may not read the runner ConfigMap " + reference()
                        + " (its Role needs get on configmaps for that name)";
            }
            LOG.log(Level.WARNING, "cannot read the runner ConfigMap " + reference(), e);
            return;
        }
        String verdict = verdict(configMap);
        if (verdict != null && !verdict.equals(unreadyReason)) {
            LOG.log(Level.ERROR, verdict + "; the Kubernetes backend is not ready");
        }
        unreadyReason = verdict;
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }

    private String verdict(ConfigMap configMap) {
        if (configMap == null) {
            return "the runner ConfigMap " + reference() + " does not exist; install it with the chart or k8s/";
        }
        Map<String, String> data = configMap.getData();
        String installed = data == null ? null : data.get(KEY);
        if (installed == null) {
            return "the runner ConfigMap " + reference() + " has no " + KEY;
        }
        if (!installed.equals(bundled)) {
            return "the runner ConfigMap " + reference() + " holds another " + KEY + " (sha256 " + sha256(installed)
                    + ") than this service's (sha256 " + sha256(bundled) + "); install the chart of the service's version";
        }
        return null;
    }

    private String reference() {
        return namespace + "/" + name;
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) { // an escaping exception would cancel every later check
            LOG.log(Level.WARNING, "runner ConfigMap check failed; next try in " + CHECK_INTERVAL, e);
        }
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
