package dev.sandpod.attacks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.sandpod.run.RunFile;
import dev.sandpod.run.TestCase;

/**
 * One attack: a short, real Python program, the request around it and the safe outcome the service must report.
 *
 * <p>Bomb-like attacks run with small limits ({@link #BOMB_TIMEOUT_MS}, {@link #BOMB_MEMORY_MB}) so that the suite
 * stays fast on two cores; the limits are the ones a client may ask for, so nothing is special-cased.
 *
 * @param args  the host values the program gets as {@code sys.argv[1:]}, in order
 * @param tests judge-mode cases, or none for a plain run
 */
record Attack(Surface surface, String name, String code, String input, int timeoutMs, int memoryMb,
              List<Fixture> args, List<RunFile> files, List<TestCase> tests, Expectation expectation) {
    static final int BOMB_TIMEOUT_MS = 2000;
    static final int BOMB_MEMORY_MB = 64;

    Attack {
        Objects.requireNonNull(expectation, () -> "attack '" + name + "' has no expected outcome");
        args = List.copyOf(args);
        files = List.copyOf(files);
        tests = List.copyOf(tests);
    }

    /** An attack with the bomb limits, no input and no arguments; {@code expecting} gives its outcome. */
    static Builder program(Surface surface, String name, String code) {
        return new Builder(surface, name, code);
    }

    /** The JSON body of {@code POST /v1/runs}, with the fixtures' values as the program's arguments. */
    Map<String, Object> body(HostFixtures host) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("input", input);
        body.put("timeoutMs", timeoutMs);
        body.put("memoryMb", memoryMb);
        body.put("args", args.stream().map(host::value).toList());
        body.put("files", files);
        if (!tests.isEmpty()) {
            body.put("tests", tests);
        }
        return body;
    }

    @Override
    public String toString() {
        return surface + ": " + name;
    }

    /** Collects an attack's optional parts; {@link #expecting} ends it. */
    static final class Builder {
        private final Surface surface;
        private final String name;
        private final String code;
        private String input = "";
        private int timeoutMs = BOMB_TIMEOUT_MS;
        private int memoryMb = BOMB_MEMORY_MB;
        private List<Fixture> args = List.of();
        private List<RunFile> files = List.of();
        private List<TestCase> tests = List.of();

        private Builder(Surface surface, String name, String code) {
            this.surface = surface;
            this.name = name;
            this.code = code;
        }

        Builder input(String input) {
            this.input = input;
            return this;
        }

        Builder timeoutMs(int timeoutMs) {
            this.timeoutMs = timeoutMs;
            return this;
        }

        Builder memoryMb(int memoryMb) {
            this.memoryMb = memoryMb;
            return this;
        }

        Builder args(Fixture... args) {
            this.args = List.of(args);
            return this;
        }

        Builder files(RunFile... files) {
            this.files = List.of(files);
            return this;
        }

        Builder tests(TestCase... tests) {
            this.tests = List.of(tests);
            return this;
        }

        Attack expecting(Expectation expectation) {
            return new Attack(surface, name, code, input, timeoutMs, memoryMb, args, files, tests, expectation);
        }
    }
}
