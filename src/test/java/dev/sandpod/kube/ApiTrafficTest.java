package dev.sandpod.kube;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the executor asks of the API server, counted from the mock server's request log. */
class ApiTrafficTest {
    private static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);
    private static final String PODS = "/api/v1/namespaces/" + MockCluster.NAMESPACE + "/pods";

    private MockCluster cluster;
    private KubernetesExecutor executor;

    @BeforeEach
    void start() throws InterruptedException {
        cluster = new MockCluster();
        cluster.kubelet.mode(KubeletEmulator.Mode.INSTANT);
        executor = cluster.executor(MockCluster.config());
        Await.ready(executor);
    }

    @AfterEach
    void noPodOutlivesItsRun() {
        try {
            assertEquals(List.of(), cluster.pods());
        } finally {
            executor.close();
            cluster.close();
        }
    }

    @Test
    @DisplayName("a cold run costs one pod create, one log read and one delete, and opens no watch of its own")
    void coldRunCostsThreeRequests() throws Exception {
        List<RecordedRequest> startup = cluster.drainRequests(MockCluster.EXECUTOR_AGENT);
        assertEquals(List.of("GET list", "GET watch"), kinds(startup), "the informer's list and watch");
        RunId id = RunId.random();
        assertEquals(Status.OK, executor.run(RunRequest.of("print(1)", "x", DEFAULTS), id).status());
        String pod = PODS + "/" + PodNames.of(id);
        // the log read is bounded by what the runner's envelope can hold: output, escapes and the files out
        String log = "/log?container=sandbox&limitBytes=" + KubernetesExecutor.logLimitBytes(DEFAULTS, 0);
        assertEquals(List.of("POST " + PODS, "GET " + pod + log, "DELETE " + pod),
                cluster.drainRequests(MockCluster.EXECUTOR_AGENT).stream()
                        .map(request -> request.getMethod() + " " + request.getPath()).toList());
    }

    @Test
    @DisplayName("200 concurrent runs through one executor all get their own result over the one shared watch")
    void twoHundredConcurrentRuns() throws Exception {
        int runs = 200;
        List<Future<RunResult>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < runs; i++) {
                RunRequest request = RunRequest.of("print(input())", "run " + i, DEFAULTS);
                results.add(threads.submit(() -> executor.run(request, RunId.random())));
            }
        }
        for (int i = 0; i < runs; i++) {
            RunResult result = results.get(i).get();
            assertEquals(Status.OK, result.status(), result::detail);
            assertEquals("run " + i, result.stdout());
        }
        Map<String, Long> requests = cluster.drainRequests(MockCluster.EXECUTOR_AGENT).stream()
                .collect(Collectors.groupingBy(ApiTrafficTest::kind, Collectors.counting()));
        assertEquals(Map.of("GET list", 1L, "GET watch", 1L, "POST create", (long) runs, "GET log", (long) runs,
                "DELETE pod", (long) runs), requests);
    }

    private static List<String> kinds(List<RecordedRequest> requests) {
        return requests.stream().map(ApiTrafficTest::kind).toList();
    }

    /** Classifies a request to the pods API by what it does. */
    private static String kind(RecordedRequest request) {
        String path = request.getPath();
        return switch (request.getMethod()) {
            case "GET" -> path.contains("watch=true") ? "GET watch" : path.contains("/log?") ? "GET log"
                    : path.startsWith(PODS + "?") ? "GET list" : "GET " + path;
            case "POST" -> PODS.equals(path) ? "POST create" : "POST " + path;
            case "DELETE" -> path.startsWith(PODS + "/") ? "DELETE pod" : "DELETE " + path;
            default -> request.getMethod() + " " + path;
        };
    }
}
