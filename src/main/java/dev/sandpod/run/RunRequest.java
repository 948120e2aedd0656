package dev.sandpod.run;

import java.util.List;
import java.util.Objects;

/**
 * One validated run: what the runner receives as its job, minus the id.
 *
 * @param tests   judge-mode cases, or an empty list for a plain run
 * @param runtime the name of the runtime that runs it, one the executor lists
 * @param kept    for an asynchronous run, for whom and how long its sandbox keeps its end; null for a blocking one
 */
public record RunRequest(String code, String input, List<String> args, List<RunFile> files, Limits limits,
                         List<TestCase> tests, String runtime, Kept kept) {
    public RunRequest {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(limits, "limits");
        args = List.copyOf(args);
        files = List.copyOf(files);
        tests = List.copyOf(tests);
    }

    /** A blocking run. */
    public RunRequest(String code, String input, List<String> args, List<RunFile> files, Limits limits,
                      List<TestCase> tests, String runtime) {
        this(code, input, args, files, limits, tests, runtime, null);
    }

    /** A blocking run of the default runtime. */
    public RunRequest(String code, String input, List<String> args, List<RunFile> files, Limits limits,
                      List<TestCase> tests) {
        this(code, input, args, files, limits, tests, PythonRuntime.DEFAULT);
    }

    public static RunRequest of(String code, String input, Limits limits) {
        return new RunRequest(code, input, List.of(), List.of(), limits, List.of());
    }

    public RunRequest withRuntime(String other) {
        return new RunRequest(code, input, args, files, limits, tests, other, kept);
    }

    /** The same run made asynchronous: its sandbox keeps its end as {@code keeping} says. */
    public RunRequest withKept(Kept keeping) {
        return new RunRequest(code, input, args, files, limits, tests, runtime, keeping);
    }

    public boolean judged() {
        return !tests.isEmpty();
    }
}
