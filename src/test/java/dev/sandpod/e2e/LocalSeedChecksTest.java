package dev.sandpod.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;


import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The seed's own checks (from {@link SeedChecks}) and issue 2's acceptance list, through HTTP, the real service and real
 * bubblewrap jails.
 */
class LocalSeedChecksTest extends SeedChecks {
    @RegisterExtension
    static final LocalService SERVICE = new LocalService();

    @Override
    protected Service.Answer post(String path, Map<String, Object> body) throws Exception {
        return SERVICE.get().post(path, body);
    }

    @Override
    protected String backend() {
        return "local";
    }

    @Test
    void sleepingProgramTimesOutOnV1() throws Exception {
        Service.Answer answer = SERVICE.get().post("/v1/runs", Map.of("code", "import time\ntime.sleep(30)",
                "timeoutMs", 1000));
        assertEquals(200, answer.status());
        assertEquals("timeout", answer.text("status"));
    }

    @Test
    @DisplayName("Repeated input() reads every line, and a last line without \\n too")
    void multiLineInput() throws Exception {
        Service.Answer answer = SERVICE.get().post("/v1/runs", Map.of(
                "code", "a = input()\nb = input()\nc = input()\nprint(c, b, a, sep='|')",
                "input", "one\ntwo\nthree"));
        assertEquals("ok", answer.text("status"));
        assertEquals("three|two|one\n", answer.text("stdout"));
    }

    @Test
    void argsBecomeArgv() throws Exception {
        Service.Answer answer = SERVICE.get().post("/v1/runs", Map.of("code", "import sys\nprint(sys.argv[1:])",
                "args", List.of("a b", "--c")));
        assertEquals("['a b', '--c']\n", answer.text("stdout"));
    }

    @Test
    void everyStatusIsReachable() throws Exception {
        Map<String, Map<String, Object>> programs = Map.of(
                "ok", Map.of("code", "print(1)"),
                "runtime_error", Map.of("code", "raise SystemExit(3)"),
                "timeout", Map.of("code", "while True: pass", "timeoutMs", 500),
                "memory_limit", Map.of("code", "x = bytearray(200 * 1024 * 1024)\nx[::4096] = b'a' * len(x[::4096])",
                        "memoryMb", 64),
                "output_limit", Map.of("code", "while True: print('x' * 1000)"),
                "killed", Map.of("code", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)"));
        for (var program : programs.entrySet()) {
            Service.Answer answer = SERVICE.get().post("/v1/runs", program.getValue());
            assertEquals(200, answer.status());
            assertEquals(program.getKey(), answer.text("status"), answer.body().toString());
        }
    }

    @Test
    @DisplayName("16 concurrent runs each get their own output and see neither each other's files nor processes")
    void concurrentRunsAreIsolated() throws Exception {
        String code = """
                import os, sys
                me = sys.argv[1]
                open(f'/tmp/{me}', 'w').write(me)
                others = sorted(f for f in os.listdir('/tmp') if f.startswith('mark-') and f != me)
                procs = [p for p in os.listdir('/proc') if p.isdigit()]
                cmdlines = [open(f'/proc/{p}/cmdline', 'rb').read() for p in procs]
                foreign = [c for c in cmdlines if b'mark-' in c and me.encode() not in c]
                print(me, others, foreign)
                """;
        List<Callable<Service.Answer>> runs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String mark = "mark-" + i;
            // 16 jails share 2 cores here: a generous wall limit keeps the test about isolation, not speed.
            runs.add(() -> SERVICE.get().post("/v1/runs", Map.of("code", code, "args", List.of(mark), "timeoutMs", 8000)));
        }
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Service.Answer>> answers = threads.invokeAll(runs);
            for (int i = 0; i < 16; i++) {
                Service.Answer answer = answers.get(i).get();
                assertEquals("ok", answer.text("status"), answer.body().toString());
                assertEquals("mark-" + i + " [] []\n", answer.text("stdout"));
            }
        }
    }

    @Test
    void readinessNamesTheBackend() throws Exception {
        Service.Answer answer = SERVICE.get().get("/health/ready");
        assertEquals(200, answer.status());
        assertEquals("UP", answer.text("status"));
        assertFalse(answer.body().path("checks").isEmpty());
    }
}
