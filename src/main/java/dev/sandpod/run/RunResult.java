package dev.sandpod.run;

import java.util.List;

/**
 * What one run produced, as the API reports it.
 *
 * @param signal  the name of the signal that ended the program ({@code SIGKILL}), or null
 * @param output  stdout and stderr interleaved in arrival order
 * @param detail  a short, client-safe explanation for {@code internal_error} and limit statuses, or null
 * @param tests   judge-mode outcomes, empty for a plain run
 * @param verdict the overall judge verdict, or null for a plain run
 * @param files   what the program left under {@code out/}, within the files caps; empty in judge mode
 * @param filesTruncated whether {@code out/} held more than the caps let through; the status stays the program's
 */
public record RunResult(String id, Status status, Integer exitCode, String signal, String stdout, String stderr,
                        String output, boolean truncated, long timeMs, long cpuMs, long memoryKb, String backend,
                        String detail, List<TestOutcome> tests, String verdict, List<OutputFile> files,
                        boolean filesTruncated) {
    public RunResult {
        tests = tests == null ? List.of() : List.copyOf(tests);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** A result for a run whose sandbox failed before the program could report; the detail must be safe to show. */
    public static RunResult internalError(RunId id, String backend, String detail, long timeMs) {
        return new RunResult(id.value(), Status.INTERNAL_ERROR, null, null, "", "", "", false, timeMs, 0, 0, backend,
                detail, List.of(), null, List.of(), false);
    }

    /** A run that the service stopped (a cancel) or never started: killed, no status of its own, the detail why. */
    public static RunResult killed(RunId id, String backend, String detail, long timeMs) {
        return internalError(id, backend, detail, timeMs).withStatus(Status.KILLED, detail);
    }

    public RunResult withStatus(Status newStatus, String newDetail) {
        return new RunResult(id, newStatus, exitCode, signal, stdout, stderr, output, truncated, timeMs, cpuMs, memoryKb,
                backend, newDetail, tests, verdict, files, filesTruncated);
    }
}
