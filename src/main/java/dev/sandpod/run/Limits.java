package dev.sandpod.run;

/**
 * The limits of one run, already checked against the configured maximums.
 *
 * @param timeMs      wall-clock limit of the program
 * @param cpuMs       CPU-time limit of the program (RLIMIT_CPU, rounded up to seconds by the kernel)
 * @param memoryMb    memory the program may use; the sandbox adds room for the runner on top
 * @param outputBytes cap on each of stdout and stderr
 * @param fileBytes   largest file the program may write (RLIMIT_FSIZE) and size of its writable tmpfs
 * @param maxProcs    processes and threads the sandbox may hold
 */
public record Limits(int timeMs, int cpuMs, int memoryMb, long outputBytes, long fileBytes, int maxProcs) {
    public Limits {
        if (timeMs < 1) {
            throw new IllegalArgumentException("timeMs < 1: " + timeMs);
        }
        if (cpuMs < 1) {
            throw new IllegalArgumentException("cpuMs < 1: " + cpuMs);
        }
        if (memoryMb < 1) {
            throw new IllegalArgumentException("memoryMb < 1: " + memoryMb);
        }
        if (outputBytes < 1) {
            throw new IllegalArgumentException("outputBytes < 1: " + outputBytes);
        }
        if (fileBytes < 1) {
            throw new IllegalArgumentException("fileBytes < 1: " + fileBytes);
        }
        if (maxProcs < 1) {
            throw new IllegalArgumentException("maxProcs < 1: " + maxProcs);
        }
    }
}
