package dev.sandpod.attacks;

import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The expectations the attack catalogues are written with; each failure message carries the whole answer. */
final class Expect {
    private Expect() {
    }

    /** The run finished (HTTP 200) with this status. */
    static Expectation status(String status) {
        return answer -> {
            assertEquals(200, answer.httpStatus(), () -> "a finished run answers 200: " + answer.describe());
            assertEquals(status, answer.status(), () -> "status: " + answer.describe());
        };
    }

    /** The run finished (HTTP 200) with one of these statuses: for attacks that more than one limit may end. */
    static Expectation statusIn(String... statuses) {
        return answer -> {
            assertEquals(200, answer.httpStatus(), () -> "a finished run answers 200: " + answer.describe());
            assertTrue(List.of(statuses).contains(answer.status()), () -> "status: " + answer.describe());
        };
    }

    /** The API refused the request before any sandbox was made. */
    static Expectation refused(int httpStatus, String detailPart) {
        return answer -> {
            assertEquals(httpStatus, answer.httpStatus(), answer::describe);
            assertTrue(answer.body().path("detail").asText().contains(detailPart), answer::describe);
        };
    }

    /** The program ran to its end and exited 0; what it saw is checked by the next expectations. */
    static Expectation finished() {
        return status("ok").and(exitCode(0));
    }

    static Expectation exitCode(int exitCode) {
        return answer -> assertEquals(Integer.valueOf(exitCode), answer.exitCode(), answer::describe);
    }

    static Expectation signal(String signal) {
        return answer -> assertEquals(signal, answer.signal(), answer::describe);
    }

    static Expectation stdout(String stdout) {
        return answer -> assertEquals(stdout, answer.stdout(), answer::describe);
    }

    /** The whole of stdout matches {@code regex} (multi-line, dot matches newlines). */
    static Expectation stdoutMatches(String regex) {
        Pattern pattern = Pattern.compile(regex, Pattern.DOTALL | Pattern.MULTILINE);
        return answer -> assertTrue(pattern.matcher(answer.stdout()).matches(),
                () -> "stdout must match " + regex + ": " + answer.describe());
    }

    /** Some part of stderr matches {@code regex}. */
    static Expectation stderrFinds(String regex) {
        Pattern pattern = Pattern.compile(regex);
        return answer -> assertTrue(pattern.matcher(answer.stderr()).find(),
                () -> "stderr must contain " + regex + ": " + answer.describe());
    }

    /** The program exited 0 and every line it printed is {@code label: ERRNO} with one of {@code errnos}. */
    static Expectation everyLineDenied(String... errnos) {
        return finished().and(linesDenied(errnos));
    }

    /** Every line the program printed is {@code label: ERRNO} with an errno of {@code errnos}: each attempt failed. */
    static Expectation linesDenied(String... errnos) {
        Pattern line = Pattern.compile(".+: (" + String.join("|", errnos) + ")");
        return answer -> {
            List<String> lines = answer.stdout().lines().toList();
            assertFalse(lines.isEmpty(), answer::describe);
            for (String printed : lines) {
                assertTrue(line.matcher(printed).matches(), () -> "must have failed with one of "
                        + List.of(errnos) + ", got '" + printed + "': " + answer.describe());
            }
        };
    }

    /**
     * A kernel call was refused: either it failed with one of {@code errnos}, or the seccomp filter killed the
     * program with SIGSYS before it could print.
     */
    static Expectation syscallDenied(String label, String... errnos) {
        Pattern line = Pattern.compile(Pattern.quote(label) + ": (" + String.join("|", errnos) + ")\n");
        return answer -> {
            assertEquals(200, answer.httpStatus(), answer::describe);
            if ("killed".equals(answer.status())) {
                assertEquals("SIGSYS", answer.signal(), () -> "only seccomp may kill a probe: " + answer.describe());
                return;
            }
            assertEquals("ok", answer.status(), answer::describe);
            assertTrue(line.matcher(answer.stdout()).matches(),
                    () -> label + " must fail with one of " + List.of(errnos) + ": " + answer.describe());
        };
    }
}
