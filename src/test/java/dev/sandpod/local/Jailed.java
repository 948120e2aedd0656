package dev.sandpod.local;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;

import dev.sandpod.run.Limits;
import dev.sandpod.run.RunRequest;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared set-up of the tests that run real jails: the shipped config, the default limits, host-side checks. */
final class Jailed {
    static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);
    /** This JVM's own cgroup parent, so that the checks below never see another process's jails. */
    static final String CGROUP_PARENT = "sandpod-test-" + ProcessHandle.current().pid();

    private Jailed() {
    }

    /** The shipped {@code sandpod.local} config. */
    static LocalConfig shipped() {
        return LocalConfig.from(Config.just(ConfigSources.classpath("application.yaml")).get("sandpod.local"));
    }

    /** The shipped config with this JVM's cgroup parent and the given pool size. */
    static LocalConfig config(int poolSize) {
        return config(poolSize, shipped().bwrap(), shipped().deadlineMargin());
    }

    /** The shipped config with this JVM's cgroup parent, and another pool size, bwrap path and deadline margin. */
    static LocalConfig config(int poolSize, Path bwrap, Duration deadlineMargin) {
        LocalConfig c = shipped();
        return new LocalConfig(bwrap, c.python(), c.cgroupVersion(), CGROUP_PARENT, c.runnerOverheadMb(), poolSize,
                c.uid(), c.gid(), c.hostUidMin(), c.hostUidMax(), deadlineMargin, c.sandboxCpuWeight());
    }

    static RunRequest request(String code) {
        return RunRequest.of(code, "", DEFAULTS);
    }

    static Limits limits(int timeMs, int memoryMb) {
        return new Limits(timeMs, timeMs, memoryMb, DEFAULTS.outputBytes(), DEFAULTS.fileBytes(), DEFAULTS.maxProcs());
    }

    /** Asserts the host holds nothing of a finished run: no process of ours, no jail cgroup, no job directory. */
    static void assertNothingLeft() {
        assertEquals(List.of(), ProcessHandle.current().descendants()
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList(), "processes left behind");
        assertEquals(List.of(), jailCgroups(), "cgroups left behind");
        assertEquals(List.of(), jobDirs(), "job directories left behind");
    }

    /** Every jail cgroup below this JVM's parent, in any hierarchy. */
    static List<Path> jailCgroups() {
        return cgroupDirs(dir -> dir.getFileName().toString().startsWith("jail-")
                && dir.getParent().getFileName().toString().equals(CGROUP_PARENT));
    }

    /** This JVM's cgroup parent in each hierarchy where it exists. */
    static List<Path> cgroupParents() {
        return cgroupDirs(dir -> dir.getFileName().toString().equals(CGROUP_PARENT));
    }

    private static List<Path> cgroupDirs(Predicate<Path> wanted) {
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(Path.of("/sys/fs/cgroup"), java.util.Set.of(), 8, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.getFileName() != null && dir.getParent() != null && wanted.test(dir)) {
                        found.add(dir);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;  // another test's cgroup vanished while we walked
                }
            });
        } catch (IOException e) {
            fail(e);
        }
        return found;
    }

    /** Job directories in this JVM's local backend state directories. */
    static List<Path> jobDirs() {
        try (Stream<Path> states = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            List<Path> found = new ArrayList<>();
            for (Path state : states.filter(p -> p.getFileName().toString().startsWith(Jails.STATE_DIR_PREFIX)).toList()) {
                try (Stream<Path> jobs = Files.list(state)) {
                    jobs.filter(p -> p.getFileName().toString().startsWith("job-")).forEach(found::add);
                }
            }
            return found;
        } catch (IOException e) {
            return fail(e);
        }
    }

    /** Bounded polling for asynchronous work (a pool refill, a process appearing). */
    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
