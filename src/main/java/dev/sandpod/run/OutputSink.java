package dev.sandpod.run;

/**
 * Where a streamed run's output goes while it runs. Executors call it on their I/O threads, in the order the runner
 * printed, so an implementation must not block: it hands the chunk on and returns.
 */
@FunctionalInterface
public interface OutputSink {
    /** The sink of a run nobody streams: the runner is not asked to stream at all. */
    OutputSink NONE = chunk -> { };

    void accept(OutputChunk chunk);
}
