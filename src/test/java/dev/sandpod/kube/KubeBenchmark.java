package dev.sandpod.kube;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Throughput and footprint of the Kubernetes executor against the mock API server, with an emulated kubelet that
 * answers at once. Off unless asked for:
 * {@code mvn -B -q test -Dtest=KubeBenchmark -Dsandpod.bench=true [-Dsandpod.bench.runs=2000]
 * [-Dsandpod.bench.concurrency=64] [-Dsandpod.bench.inflight=1000] [-Dsandpod.bench.out=bench/out/kube-mock.json]}.
 *
 * <p>The mock server and the emulator live in this JVM, so CPU per run and heap include theirs (the mock keeps every
 * pod as JSON, the emulator caches every pod too): they are upper bounds for the executor alone. bench/run with
 * {@code SANDPOD_BENCH_PROFILE=1} records the run with JFR and splits the CPU of the throughput window between the
 * executor, the emulator and the mock (bench/kube_cpu_split.py).
 */
@EnabledIfSystemProperty(named = "sandpod.bench", matches = "true")
class KubeBenchmark {
    private static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);

    @Test
    void throughputAndFootprint() throws Exception {
        int runs = Integer.getInteger("sandpod.bench.runs", 2000);
        int concurrency = Integer.getInteger("sandpod.bench.concurrency", 64);
        int inFlight = Integer.getInteger("sandpod.bench.inflight", 1000);
        Map<String, Object> figures = new LinkedHashMap<>();
        KubeConfig config = MockCluster.config();
        try (MockCluster cluster = new MockCluster();
             KubernetesExecutor executor = new KubernetesExecutor(cluster.client(MockCluster.EXECUTOR_AGENT), config, null)) {
            cluster.kubelet.mode(KubeletEmulator.Mode.INSTANT);
            Await.ready(executor);
            runAll(executor, 200, concurrency); // warm-up: JIT, connection pools
            cluster.drainRequests(MockCluster.EXECUTOR_AGENT);

            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuBefore = os.getProcessCpuTime();
            Instant from = Instant.now();
            long start = System.nanoTime();
            runAll(executor, runs, concurrency);
            double seconds = (System.nanoTime() - start) / 1e9;
            Instant to = Instant.now();
            double cpuMs = (os.getProcessCpuTime() - cpuBefore) / 1e6;
            int requests = cluster.drainRequests(MockCluster.EXECUTOR_AGENT).size();
            RunRequest sample = RunRequest.of("print(input())", "run 0", DEFAULTS);
            figures.put("podJsonBytes", cluster.admin.getKubernetesSerialization()
                    .asJson(new PodSpecs(config).podFor(sample, RunId.random(), 100_000)).length());
            figures.put("runs", runs);
            figures.put("concurrency", concurrency);
            figures.put("runsPerSecond", round(runs / seconds));
            figures.put("processCpuMsPerRun", round(cpuMs / runs));
            figures.put("apiRequestsPerRun", round((double) requests / runs));
            figures.put("cores", Runtime.getRuntime().availableProcessors());
            // the throughput window, so that bench/kube_cpu_split.py can split its CPU samples from a JFR recording
            figures.put("measuredFrom", from.toString());
            figures.put("measuredTo", to.toString());

            // the mock keeps every request it served and the emulator every pod it saw: drop both before weighing
            cluster.kubelet.forgetSeen();
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            long heapBefore = heapAfterGc(memory);
            cluster.kubelet.mode(KubeletEmulator.Mode.HELD);
            List<Future<RunResult>> held = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < inFlight; i++) {
                    RunRequest request = RunRequest.of("print(input())", "held " + i, DEFAULTS);
                    held.add(threads.submit(() -> executor.run(request, RunId.random())));
                }
                Await.until(inFlight + " pods running", Duration.ofMinutes(5), () -> cluster.kubelet.seenCount() == inFlight);
                cluster.drainRequests(MockCluster.EXECUTOR_AGENT);
                long heapInFlight = heapAfterGc(memory);
                figures.put("inFlight", inFlight);
                figures.put("heapMiBBefore", round(heapBefore / 1048576.0));
                figures.put("heapMiBInFlight", round(heapInFlight / 1048576.0));
                figures.put("heapKiBPerRunInFlight", round((heapInFlight - heapBefore) / 1024.0 / inFlight));
                cluster.kubelet.releaseHeld();
            }
            for (Future<RunResult> result : held) {
                assertEquals(Status.OK, result.get().status());
            }
            report(figures);
        }
    }

    private static void report(Map<String, Object> figures) throws Exception {
        String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(figures);
        System.out.println("KUBE-BENCH " + json);
        String out = System.getProperty("sandpod.bench.out");
        if (out != null) {
            Files.writeString(Path.of(out), json + "\n");
        }
    }

    private static void runAll(KubernetesExecutor executor, int runs, int concurrency) throws Exception {
        Semaphore slots = new Semaphore(concurrency);
        List<Future<RunResult>> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < runs; i++) {
                RunRequest request = RunRequest.of("print(input())", "run " + i, DEFAULTS);
                slots.acquire();
                results.add(threads.submit(() -> {
                    try {
                        return executor.run(request, RunId.random());
                    } finally {
                        slots.release();
                    }
                }));
            }
        }
        for (int i = 0; i < runs; i++) {
            assertEquals("run " + i, results.get(i).get().stdout());
        }
    }

    private static long heapAfterGc(MemoryMXBean memory) {
        System.gc();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
