package dev.sandpod.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The programs of the soak, in a fixed cycle: run {@code i} is {@link #programOf program i}, so the count of each
 * program, and of each status it must end in, follows from the number of runs alone. Each program's input carries
 * its run's number where the output can show it, so an answer that belongs to another run is caught too.
 */
final class SoakMix {
    /**
     * One program and the answer it must get.
     *
     * @param name     what it does, for the figures
     * @param weight   its places in one cycle
     * @param statuses the statuses it may end in: one, except where the end is a race the load decides
     * @param request  the body of run {@code i}
     * @param check    what else the answer of run {@code i} must hold; null when it holds, else what is wrong
     * @param hangUp   how soon the client gives up on the answer and closes its connection, or null to wait for it
     */
    record Program(String name, int weight, Set<String> statuses, IntFunction<Map<String, Object>> request,
                   Check check, Duration hangUp) {
        Program(String name, int weight, Set<String> statuses, IntFunction<Map<String, Object>> request, Check check) {
            this(name, weight, statuses, request, check, null);
        }

        /** What is wrong with {@code answer} for run {@code run}, or null when nothing is. */
        String mismatch(int run, JsonNode answer) {
            String status = answer.path("status").asText();
            if (!statuses.contains(status)) {
                return "status " + status + ", expected " + statuses;
            }
            return check.mismatch(run, answer);
        }
    }

    /** A check of one answer beyond its status. */
    @FunctionalInterface
    interface Check {
        String mismatch(int run, JsonNode answer);
    }

    static final List<Program> PROGRAMS = List.of(
            new Program("echo", 4, Set.of("ok"),
                    run -> body("print(input()[::-1])", "input", reversed("soak-" + run)),
                    (run, answer) -> expect(answer, "stdout", "soak-" + run + "\n")),
            new Program("file", 1, Set.of("ok"),
                    run -> body("print(open('data/in.txt').read())", "files",
                            List.of(Map.of("path", "data/in.txt", "content", "file-" + run))),
                    (run, answer) -> expect(answer, "stdout", "file-" + run + "\n")),
            new Program("busy loop past 200 ms", 1, Set.of("timeout"),
                    run -> body("while True: pass", "timeoutMs", 200),
                    (run, answer) -> null),
            new Program("sleep past 150 ms", 1, Set.of("timeout"),
                    run -> body("import time\ntime.sleep(10)", "timeoutMs", 150),
                    (run, answer) -> null),
            // 256 MiB against 32: it ends within milliseconds; the time limit only leaves room for a loaded machine
            new Program("256 MiB in 32", 1, Set.of("memory_limit"),
                    run -> body("x = b'x' * (256 << 20)\nprint(len(x))", "memoryMb", 32, "timeoutMs", 5000),
                    (run, answer) -> null),
            new Program("70000 bytes of output", 1, Set.of("output_limit"),
                    run -> body("print('x' * 70000)"),
                    (run, answer) -> answer.path("truncated").asBoolean() ? null : "not truncated"),
            new Program("SIGSEGV", 1, Set.of("killed"),
                    run -> body("import os\nos.kill(os.getpid(), 11)"),
                    (run, answer) -> expect(answer, "signal", "SIGSEGV")),
            new Program("exit 3", 1, Set.of("runtime_error"),
                    run -> body("raise SystemExit(3)"),
                    (run, answer) -> answer.path("exitCode").asInt() == 3 ? null : "exit code " + answer.path("exitCode")),
            new Program("judge, one test wrong", 1, Set.of("ok"),
                    run -> body("a, b = map(int, input().split())\nprint(a + b)", "tests", List.of(
                            Map.of("input", run + " 1", "expectedOutput", Integer.toString(run + 1)),
                            Map.of("input", run + " 2", "expectedOutput", "-1"))),
                    (run, answer) -> {
                        String verdicts = answer.path("verdict").asText() + " "
                                + answer.path("tests").findValuesAsText("verdict");
                        return verdicts.equals("wrong_answer [accepted, wrong_answer]") ? null : "verdicts " + verdicts;
                    }),
            // 64 copies spin on one CPU's quota until the wall limit, unless their pages fill the memory limit first, or a
            // copy is killed at the limit: which comes first depends on the machine's load (see ResourceAttacks)
            new Program("fork bomb", 1, Set.of("timeout", "memory_limit", "killed"),
                    run -> body("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
                            "timeoutMs", 300),
                    (run, answer) -> null),
            // the run goes on in its jail after the client hung up, and its answer has no one to go to; no status is
            // right, since an answer within 100 ms of a 500 ms sleep is wrong
            new Program("client hangs up mid-run", 1, Set.of(),
                    run -> body("import time\ntime.sleep(0.5)"),
                    (run, answer) -> null, Duration.ofMillis(100)));

    private static final List<Program> CYCLE = cycle();

    private SoakMix() {
    }

    /** Runs in one cycle, in which every program has its weight's share. */
    static int cycleLength() {
        return CYCLE.size();
    }

    static Program programOf(int run) {
        return CYCLE.get(run % CYCLE.size());
    }

    /** How many of {@code runs} runs each program gets. */
    static Map<String, Integer> planned(int runs) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        PROGRAMS.forEach(program -> counts.put(program.name(), 0));
        for (int run = 0; run < runs; run++) {
            counts.merge(programOf(run).name(), 1, Integer::sum);
        }
        return counts;
    }

    /** The programs spread over one cycle, so that the slow ones never come in a row. */
    private static List<Program> cycle() {
        List<Program> cycle = new ArrayList<>();
        int most = PROGRAMS.stream().mapToInt(Program::weight).max().orElseThrow();
        for (int round = 0; round < most; round++) {
            for (Program program : PROGRAMS) {
                if (round < program.weight()) {
                    cycle.add(program);
                }
            }
        }
        return List.copyOf(cycle);
    }

    private static Map<String, Object> body(String code, Object... more) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        for (int i = 0; i < more.length; i += 2) {
            body.put((String) more[i], more[i + 1]);
        }
        return body;
    }

    private static String reversed(String text) {
        return new StringBuilder(text).reverse().toString();
    }

    private static String expect(JsonNode answer, String field, String expected) {
        String actual = answer.path(field).asText();
        return actual.equals(expected) ? null : field + " " + actual + ", expected " + expected;
    }
}
