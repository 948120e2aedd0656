package dev.sandpod.run;

import java.util.List;
import java.util.Objects;

/**
 * One validated run: what the runner receives as its job, minus the id.
 *
 * @param tests judge-mode cases, or an empty list for a plain run
 */
public record RunRequest(String code, String input, List<String> args, List<RunFile> files, Limits limits,
                         List<TestCase> tests) {
    public RunRequest {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(limits, "limits");
        args = List.copyOf(args);
        files = List.copyOf(files);
        tests = List.copyOf(tests);
    }

    public static RunRequest of(String code, String input, Limits limits) {
        return new RunRequest(code, input, List.of(), List.of(), limits, List.of());
    }

    public boolean judged() {
        return !tests.isEmpty();
    }
}
