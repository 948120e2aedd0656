package dev.sandpod.local;

import java.nio.file.Path;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import dev.sandpod.run.BackendUnavailableException;
import dev.sandpod.run.RunId;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LocalPreflightTest {
    @Test
    void thisHostHasEverything() {
        assertNull(LocalPreflight.hostReason(Jailed.config(0)));
    }

    @Test
    @DisplayName("a missing bwrap is named with the package that provides it, and no run is ever started")
    void missingBwrap() {
        try (LocalExecutor executor = LocalExecutor.create(
                Jailed.config(2, Path.of("/nonexistent/bwrap"), Jailed.shipped().deadlineMargin()), Jailed.DEFAULTS)) {
            assertEquals("bwrap not found at /nonexistent/bwrap: apt-get install bubblewrap", executor.unreadyReason());
            assertThrows(BackendUnavailableException.class,
                    () -> executor.run(Jailed.request("print(1)"), RunId.random()));
            assertEquals(0, executor.pooledJails());
        }
        Jailed.assertNothingLeft();
    }

    @Test
    void missingPython() {
        LocalConfig c = Jailed.config(0);
        LocalConfig config = new LocalConfig(c.bwrap(), Path.of("/usr/bin/python9"), c.cgroupVersion(), c.cgroupParent(),
                c.runnerOverheadMb(), 0, c.uid(), c.gid(), c.hostUidMin(), c.hostUidMax(), c.deadlineMargin(),
                c.sandboxCpuWeight());
        assertEquals("python not found at /usr/bin/python9: apt-get install python3", LocalPreflight.hostReason(config));
    }

    @Test
    @DisplayName("a cgroup hierarchy that cannot be used is reported, not worked around")
    void unusableCgroups() {
        LocalConfig c = Jailed.config(0);
        LocalConfig config = new LocalConfig(c.bwrap(), c.python(), "v2", c.cgroupParent(), c.runnerOverheadMb(), 0,
                c.uid(), c.gid(), c.hostUidMin(), c.hostUidMax(), c.deadlineMargin(), c.sandboxCpuWeight());
        try (LocalExecutor executor = LocalExecutor.create(config, Jailed.DEFAULTS)) {
            assumeTrue(executor.unreadyReason() != null, "this host has cgroup v2");
            assertTrue(executor.unreadyReason().startsWith("cgroups: no usable cgroup v2"), executor.unreadyReason());
        }
    }
}
