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
 * @param outFiles    most files under {@code out/} a result carries
 * @param outFilesBytes most bytes of content (before base64) those files carry together
 */
public record Limits(int timeMs, int cpuMs, int memoryMb, long outputBytes, long fileBytes, int maxProcs, int outFiles,
                     long outFilesBytes) {
    public static final int DEFAULT_OUT_FILES = 64;
    public static final long DEFAULT_OUT_FILES_BYTES = 4L << 20;

    /** Limits with the default files caps of {@code sandpod.limits}. */
    public Limits(int timeMs, int cpuMs, int memoryMb, long outputBytes, long fileBytes, int maxProcs) {
        this(timeMs, cpuMs, memoryMb, outputBytes, fileBytes, maxProcs, DEFAULT_OUT_FILES, DEFAULT_OUT_FILES_BYTES);
    }

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
        if (outFiles < 1 || outFilesBytes < 1) {
            throw new IllegalArgumentException("outFiles or outFilesBytes < 1: " + outFiles + ", " + outFilesBytes);
        }
    }
}
