package dev.sandpod.api;

import io.helidon.config.Config;

import dev.sandpod.run.Limits;

/** The request caps and the defaults for limits a request leaves out, from {@code sandpod.limits}. */
public record LimitPolicy(int maxCodeBytes, int maxInputBytes, int defaultTimeoutMs, int maxTimeoutMs, int defaultMemoryMb,
                   int minMemoryMb, int maxMemoryMb, long outputBytes, long fileBytes, int maxProcs, int maxArgs,
                   int maxFiles, int maxFileBytes, int maxTests, int maxOutputFiles, long maxOutputFilesBytes) {
    /** The envelope carries the files' bytes as base64 in one line that the backends hold in memory: keep it modest. */
    static final long MAX_OUTPUT_FILES_BYTES_CEILING = 64L << 20;

    public LimitPolicy {
        positive("max-code-bytes", maxCodeBytes);
        positive("max-input-bytes", maxInputBytes);
        positive("max-timeout-ms", maxTimeoutMs);
        positive("min-memory-mb", minMemoryMb);
        positive("max-procs", maxProcs);
        if (defaultTimeoutMs < 1 || defaultTimeoutMs > maxTimeoutMs) {
            throw new IllegalArgumentException("default-timeout-ms must be within 1.." + maxTimeoutMs + ": "
                    + defaultTimeoutMs);
        }
        if (defaultMemoryMb < minMemoryMb || defaultMemoryMb > maxMemoryMb) {
            throw new IllegalArgumentException("default-memory-mb must be within " + minMemoryMb + ".." + maxMemoryMb
                    + ": " + defaultMemoryMb);
        }
        if (outputBytes < 1 || fileBytes < 1 || maxArgs < 0 || maxFiles < 0 || maxFileBytes < 0 || maxTests < 0) {
            throw new IllegalArgumentException("output-bytes and file-bytes must be positive, the other caps >= 0");
        }
        positive("max-output-files", maxOutputFiles);
        if (maxOutputFilesBytes < 1 || maxOutputFilesBytes > MAX_OUTPUT_FILES_BYTES_CEILING) {
            throw new IllegalArgumentException("max-output-files-bytes must be within 1.." + MAX_OUTPUT_FILES_BYTES_CEILING
                    + ": " + maxOutputFilesBytes);
        }
    }

    public static LimitPolicy from(Config limits) {
        return new LimitPolicy(
                limits.get("max-code-bytes").asInt().get(),
                limits.get("max-input-bytes").asInt().get(),
                limits.get("default-timeout-ms").asInt().get(),
                limits.get("max-timeout-ms").asInt().get(),
                limits.get("default-memory-mb").asInt().get(),
                limits.get("min-memory-mb").asInt().get(),
                limits.get("max-memory-mb").asInt().get(),
                limits.get("output-bytes").asLong().get(),
                limits.get("file-bytes").asLong().get(),
                limits.get("max-procs").asInt().get(),
                limits.get("max-args").asInt().get(),
                limits.get("max-files").asInt().get(),
                limits.get("max-file-bytes").asInt().get(),
                limits.get("max-tests").asInt().get(),
                limits.get("max-output-files").asInt().get(),
                limits.get("max-output-files-bytes").asLong().get());
    }

    /** The limits of a request that sets none: what a warm sandbox is started with. */
    public Limits defaults() {
        return limits(defaultTimeoutMs, defaultMemoryMb);
    }

    /** The CPU limit follows the wall limit: a program can never use more CPU than it has wall time. */
    Limits limits(int timeoutMs, int memoryMb) {
        return new Limits(timeoutMs, timeoutMs, memoryMb, outputBytes, fileBytes, maxProcs, maxOutputFiles,
                maxOutputFilesBytes);
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be positive: " + value);
        }
    }
}
