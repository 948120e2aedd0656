package dev.sandpod.run;

/**
 * An asynchronous run as its sandbox holds it, read by a replica that may not be the one running it.
 *
 * @param runtime the runtime that runs it, which its answer names
 * @param result  its result, or null while it is still running
 */
public record KeptRun(String runtime, RunResult result) {
}
