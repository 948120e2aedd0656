package dev.sandpod.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the helm (and kubectl) that .ci/helm.sh fetches. CI passes its path as -Dhelm.bin or env
 * HELM_BIN; without either the tests ask .ci/helm.sh, which only downloads on the first call.
 * A missing tool fails the tests under CI=true and skips them on a developer's machine.
 */
final class Helm {
    static final Path CHART = Path.of("helm/sandpod");
    /** The release that k8s/ is rendered for (helm/render-k8s.sh). */
    static final String RELEASE = "sandpod";
    static final String NAMESPACE = "sandpod";

    private static final Map<List<String>, Manifests> RENDERS = new ConcurrentHashMap<>();
    private static Path helm;

    private Helm() {
    }

    /** The output of a finished command. */
    record Result(int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * `helm template` of the release, with extra arguments (like "--set", "k=v"); it must succeed. Each
     * distinct render runs once per JVM: callers only read the objects.
     */
    static Manifests template(String... args) {
        return RENDERS.computeIfAbsent(List.of(args), key -> {
            Result result = templateResult(args);
            assertEquals(0, result.exitCode(), () -> "helm template " + String.join(" ", args) + " failed: " + result.stderr());
            return Manifests.parse(result.stdout());
        });
    }

    static Result templateResult(String... args) {
        List<String> command = new ArrayList<>(List.of("template", RELEASE, CHART.toString(), "--namespace", NAMESPACE));
        command.addAll(List.of(args));
        return run(command);
    }

    /** The default render without the helm test hook, as k8s/ holds it. */
    static Manifests defaultRender() {
        return template("--skip-tests");
    }

    static Result run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(args);
        return exec(command, List.of());
    }

    /** kubectl from the same package as helm: .ci/helm.sh unpacks it at DIR/kubectl/kubectl next to DIR/helm/helm. */
    static Path kubectl() {
        Path kubectl = binary().toAbsolutePath().getParent().resolveSibling("kubectl").resolve("kubectl");
        requireTool(Files.isExecutable(kubectl), "kubectl is not next to helm at " + kubectl);
        return kubectl;
    }

    static synchronized Path binary() {
        if (helm == null) {
            helm = locate();
        }
        return helm;
    }

    private static Path locate() {
        String configured = System.getProperty("helm.bin", System.getenv("HELM_BIN"));
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            requireTool(Files.isExecutable(path), "helm.bin / HELM_BIN is not an executable: " + configured);
            return path;
        }
        Result fetched = exec(List.of("bash", ".ci/helm.sh"), List.of());
        requireTool(fetched.ok(), "no -Dhelm.bin or HELM_BIN, and .ci/helm.sh failed: " + fetched.stderr());
        return Path.of(fetched.stdout().strip());
    }

    private static void requireTool(boolean present, String problem) {
        if (!present && "true".equals(System.getenv("CI"))) {
            fail(problem);
        }
        assumeTrue(present, problem);
    }

    /** Runs a command to its end (one minute at most) with extra environment variables as NAME=value. */
    static Result exec(List<String> command, List<String> environment) {
        try {
            Path out = Files.createTempFile("sandpod-deploy", ".out");
            Path err = Files.createTempFile("sandpod-deploy", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
                for (String variable : environment) {
                    int eq = variable.indexOf('=');
                    builder.environment().put(variable.substring(0, eq), variable.substring(eq + 1));
                }
                Process process = builder.start();
                if (!process.waitFor(1, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    fail("still running after a minute: " + command);
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                                  Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.delete(out);
                Files.delete(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }
}
