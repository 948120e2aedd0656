package dev.sandpod.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import dev.sandpod.run.BundledRunner;
import dev.sandpod.run.Envelope;
import dev.sandpod.run.JobCodec;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JailsTest {
    private static Jails jails;

    @BeforeAll
    static void open() throws Exception {
        jails = Jails.open(Jailed.config(0), BundledRunner.read());
    }

    @AfterAll
    static void close() {
        jails.close();
    }

    @AfterEach
    void hostIsClean() {
        Jailed.assertNothingLeft();
    }

    @Test
    @DisplayName("a jail outlives the thread that asked for it (bwrap's parent-death signal follows the forking thread)")
    void jailOutlivesItsRequestingThread() throws Exception {
        AtomicReference<Jail> started = new AtomicReference<>();
        Thread requester = Thread.ofPlatform().start(() -> {
            try {
                started.set(jails.startWarm(Jailed.DEFAULTS));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        requester.join();
        try (Jail jail = started.get()) {
            jail.send(JobCodec.encode(Jailed.request("print('still here')")));
            assertTrue(jail.awaitExit(Duration.ofSeconds(30)));
            jail.close();
            RunResult result = Envelope.parse(jail.stdout(), RunId.random(), "local").orElseThrow();
            assertEquals(Status.OK, result.status(), jail.stderr());
            assertEquals("still here\n", result.stdout());
        }
    }

    @Test
    @DisplayName("a jail closed the moment it started, before it even joined its cgroup, leaves no process")
    void jailClosedAtOnceLeavesNoProcess() throws Exception {
        for (int i = 0; i < 10; i++) {
            jails.startWarm(Jailed.DEFAULTS).close();
            assertEquals(List.of(), ProcessHandle.current().descendants().map(ProcessHandle::pid).toList(), "attempt " + i);
        }
    }

    @Test
    @DisplayName("a cold job waits in a private 0700 directory of the service, removed with the jail")
    void coldJobFileIsPrivate() throws Exception {
        try (Jail jail = jails.startCold(Jailed.DEFAULTS, JobCodec.encode(Jailed.request("print(1)")))) {
            List<Path> jobDirs = Jailed.jobDirs();
            assertEquals(1, jobDirs.size());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(jobDirs.getFirst())));
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(jobDirs.getFirst().resolve(Jails.JOB_FILE))));
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(jobDirs.getFirst().getParent())));
            jail.closeStdin();
        }
    }
}
