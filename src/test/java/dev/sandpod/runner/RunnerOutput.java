package dev.sandpod.runner;

import dev.sandpod.run.Envelope;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;

/** What one runner printed: its raw stdout, parsed the way the executors parse it, and its stderr for failures. */
record RunnerOutput(String raw, String runnerStderr) {
    static final RunId RUN_ID = new RunId("run-0000000000000000");

    RunResult result() {
        return Envelope.parse(raw, RUN_ID, "test")
                .orElseThrow(() -> new AssertionError("no envelope in runner stdout: " + raw + "\nstderr: " + runnerStderr));
    }

    long envelopeLines() {
        return raw.lines().filter(line -> line.startsWith(Envelope.PREFIX)).count();
    }
}
