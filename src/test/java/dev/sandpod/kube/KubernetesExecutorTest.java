package dev.sandpod.kube;

import java.util.List;
import java.util.Map;

import dev.sandpod.local.LocalConfig;
import dev.sandpod.local.LocalExecutor;
import dev.sandpod.run.Limits;
import dev.sandpod.run.OutputFile;
import dev.sandpod.run.RunFile;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs programs through the executor, the mock API server and the emulated kubelet, which runs the pod's command for real,
 * and checks each result against the local backend (a bubblewrap jail) given the same request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesExecutorTest {
    private static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);

    private MockCluster cluster;
    private KubernetesExecutor executor;
    private LocalExecutor local;

    @BeforeAll
    void start() throws InterruptedException {
        cluster = new MockCluster();
        executor = cluster.executor(MockCluster.config());
        Config app = Config.just(ConfigSources.create(Map.of("sandpod.local.pool-size", "0")),
                ConfigSources.classpath("application.yaml"));
        local = LocalExecutor.create(LocalConfig.from(app.get("sandpod.local")), DEFAULTS);
        assertNull(local.unreadyReason(), "the local backend is the reference");
        Await.ready(executor);
    }

    @AfterEach
    void noPodOutlivesItsRun() {
        assertEquals(List.of(), cluster.pods());
    }

    @AfterAll
    void stop() {
        local.close();
        executor.close();
        cluster.close();
    }

    @Test
    @DisplayName("hello world gives the same result as the runner run locally")
    void helloWorld() throws Exception {
        RunResult result = assertSameAsLocal(RunRequest.of("print('hello world')", "", DEFAULTS));
        assertEquals(Status.OK, result.status());
        assertEquals("hello world\n", result.stdout());
        assertEquals("kubernetes", result.backend());
    }

    @Test
    @DisplayName("stdin reaches the program and its output comes back")
    void echoedInput() throws Exception {
        RunResult result = assertSameAsLocal(RunRequest.of("import sys\nprint(sys.stdin.read().upper(), end='')",
                "ping\nü €\n", DEFAULTS));
        assertEquals("PING\nÜ €\n", result.stdout());
    }

    @Test
    @DisplayName("a non-zero exit is runtime_error with both streams kept apart")
    void runtimeError() throws Exception {
        RunResult result = assertSameAsLocal(RunRequest.of(
                "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)", "", DEFAULTS));
        assertEquals(Status.RUNTIME_ERROR, result.status());
        assertEquals(3, result.exitCode());
        assertEquals("err\n", result.stderr());
    }

    @Test
    @DisplayName("a program past its wall limit is timeout, reported by the runner before the pod's deadline")
    void timeout() throws Exception {
        RunResult result = assertSameAsLocal(RunRequest.of("while True:\n    pass", "", // deadline 3 s: room for a loaded host
                new Limits(1100, 2000, 128, 65536, 16 << 20, 64)));
        assertEquals(Status.TIMEOUT, result.status());
    }

    @Test
    @DisplayName("a program past its memory is memory_limit")
    void memoryLimit() throws Exception {
        RunResult result = assertSameAsLocal(RunRequest.of("x = bytearray(512 * 1024 * 1024)\nprint(len(x))", "",
                new Limits(2000, 2000, 64, 65536, 16 << 20, 64)));
        assertEquals(Status.MEMORY_LIMIT, result.status());
    }

    @Test
    @DisplayName("a program printing past its output cap is output_limit, truncated")
    void outputLimit() throws Exception {
        // a writer that never stops: one that finishes may exit before the runner's kill lands, and its exit code varies
        RunResult result = assertSameAsLocal(RunRequest.of("while True:\n    print('x' * 1000)", "",
                new Limits(2000, 2000, 128, 1024, 16 << 20, 64)));
        assertEquals(Status.OUTPUT_LIMIT, result.status());
        assertTrue(result.truncated());
    }

    @Test
    @DisplayName("$$ and $(VAR) in code, input, args and files reach the program untouched by Kubernetes' expansion")
    void dollarSyntaxSurvivesKubernetesExpansion() throws Exception {
        String text = "$$ $(SANDPOD_JOB) $(HOSTNAME) $( $";
        RunRequest request = new RunRequest(
                "import sys\nprint('" + text + "')\nprint(sys.stdin.read())\nprint(sys.argv[1:])\nprint(open('f.txt').read())",
                text, List.of(text), List.of(new RunFile("f.txt", text, "utf8")), DEFAULTS, List.of());
        RunResult result = assertSameAsLocal(request);
        assertEquals(text + "\n" + text + "\n['" + text + "']\n" + text + "\n", result.stdout());
    }

    @Test
    @DisplayName("what the program leaves under out/ comes back through the pod log, the same bytes as locally")
    void filesOut() throws Exception {
        RunResult result = assertSameAsLocal(RunRequest.of("""
                import os
                os.makedirs('out/plots')
                with open('out/plots/points.json', 'w') as f:
                    f.write('[1, 2, 3]')
                with open('out/blob.bin', 'wb') as f:
                    f.write(bytes(range(256)) * 64)
                """, "", DEFAULTS));
        assertEquals(Status.OK, result.status());
        assertEquals(List.of("blob.bin", "plots/points.json"), result.files().stream().map(OutputFile::path).toList());
        assertEquals(16384, result.files().get(0).size());
        assertEquals("application/json", result.files().get(1).mimeType());
        assertEquals("WzEsIDIsIDNd", result.files().get(1).contentBase64());
    }

    private RunResult assertSameAsLocal(RunRequest request) throws InterruptedException {
        RunResult expected = local.run(request, RunId.random());
        RunResult actual = executor.run(request, RunId.random());
        assertEquals(expected.status(), actual.status(), () -> "status; detail " + actual.detail());
        assertEquals(expected.exitCode(), actual.exitCode(), "exitCode");
        assertEquals(expected.signal(), actual.signal(), "signal");
        assertEquals(expected.stdout(), actual.stdout(), "stdout");
        assertEquals(withoutWorkdir(expected.stderr()), withoutWorkdir(actual.stderr()), "stderr");
        assertEquals(withoutWorkdir(expected.output()), withoutWorkdir(actual.output()), "output");
        assertEquals(expected.truncated(), actual.truncated(), "truncated");
        assertEquals(expected.files(), actual.files(), "files");
        assertEquals(expected.filesTruncated(), actual.filesTruncated(), "filesTruncated");
        return actual;
    }

    /** Tracebacks name the working directory, which differs between the two runs. */
    private static String withoutWorkdir(String text) {
        return text.replaceAll("File \"[^\"]*/main\\.py\"", "File \"main.py\"");
    }
}
