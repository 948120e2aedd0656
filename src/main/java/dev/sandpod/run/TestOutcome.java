package dev.sandpod.run;

/** The verdict of one judge-mode case. */
public record TestOutcome(int index, String verdict, Status status, String stdout, String stderr, long timeMs) {
}
