package dev.sandpod.run;

import java.util.List;

/**
 * Runs one request in a fresh, single-use sandbox. Implementations know nothing of HTTP.
 *
 * <p>{@link #run} always returns within the run's limits plus the backend's own margins: a sandbox
 * failure becomes an {@link Status#INTERNAL_ERROR} result, and only a refusal to start the run at all
 * (no capacity, backend unreachable) is thrown as {@link BackendUnavailableException}.
 */
public interface Executor extends AutoCloseable {
    RunResult run(RunRequest request, RunId id) throws InterruptedException;

    /**
     * As {@link #run(RunRequest, RunId)}, and hands {@code sink} the output while the run goes on, unless the request is
     * judged: a judge's outputs are its verdicts. An executor that does not override it streams nothing, and its output
     * comes in the result only.
     */
    default RunResult run(RunRequest request, RunId id, OutputSink sink) throws InterruptedException {
        return run(request, id);
    }

    /** The backend's name as reported in results: {@code local} or {@code kubernetes}. */
    String name();

    /**
     * The runtimes a request may name, the default ({@link PythonRuntime#DEFAULT}) first. An executor that does not
     * override it runs the default only and knows nothing of its interpreter.
     */
    default List<PythonRuntime> runtimes() {
        return List.of(new PythonRuntime(PythonRuntime.DEFAULT, "", List.of()));
    }

    /** The names of {@link #runtimes()}, the default first: what a request may name, known without asking anything. */
    default List<String> runtimeNames() {
        return runtimes().stream().map(PythonRuntime::name).toList();
    }

    /** The asynchronous runs this backend keeps beyond the memory of a replica: none unless it says so. */
    default KeptRuns keptRuns() {
        return KeptRuns.NONE;
    }

    /** Why the backend cannot create sandboxes right now, or null when it can. */
    String unreadyReason();

    @Override
    void close();
}
