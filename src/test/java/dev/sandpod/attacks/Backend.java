package dev.sandpod.attacks;

import java.nio.file.Path;
import java.util.List;

import dev.sandpod.run.Executor;

/** A backend under attack: the executor the service runs with, and where its leftovers would show on the host. */
interface Backend extends AutoCloseable {
    Executor executor();

    /** The interpreter the sandboxes run, for the host fixtures that need a Python of their own. */
    Path python();

    /** Where to look for leftovers; called once the service has warmed up. */
    HostInvariants.Scope scope() throws java.io.IOException;

    /** Leftovers only this backend can see (pods in the API server), as readable problems; empty when clean. */
    List<String> leftovers();

    @Override
    void close();
}
