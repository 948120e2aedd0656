package dev.sandpod.run;

/** One judge-mode case: the program runs afresh with {@code input} and its stdout is compared to {@code expectedOutput}. */
public record TestCase(String input, String expectedOutput) {
}
