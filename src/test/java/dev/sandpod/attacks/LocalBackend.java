package dev.sandpod.attacks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.helidon.config.Config;

import dev.sandpod.api.LimitPolicy;
import dev.sandpod.local.LocalConfig;
import dev.sandpod.local.LocalExecutor;
import dev.sandpod.run.Executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The real local backend (bubblewrap jails, seccomp, cgroups, the warm pool) as the service creates it, with a cgroup
 * parent and a host uid range of this JVM's own, so that a leftover is ours to see even when other Sandpod processes
 * (another suite, a developer's service) share the machine.
 */
final class LocalBackend implements Backend {
    private static final long PID = ProcessHandle.current().pid();
    static final String CGROUP_PARENT = "sandpod-attacks-" + PID;
    /** 1000 uids of their own per JVM, within the shipped range's neighbourhood and far from any real user. */
    static final int HOST_UID_MIN = 1900400000 + (int) (PID % 1000) * 1000;
    static final int HOST_UID_MAX = HOST_UID_MIN + 999;

    private final LocalConfig config;
    private final LocalExecutor executor;
    private final Path stateDir;

    private LocalBackend(Config sandpod) throws IOException {
        this.config = LocalConfig.from(sandpod.get("local"));
        Set<Path> before = stateDirs();
        this.executor = LocalExecutor.create(config, LimitPolicy.from(sandpod.get("limits")).defaults());
        assertNull(executor.unreadyReason(), "the local backend must be ready on this host");
        Set<Path> made = stateDirs();
        made.removeAll(before);
        assertEquals(1, made.size(), "exactly one new state directory of the local backend: " + made);
        this.stateDir = made.iterator().next();
    }

    /** Settings that scope the checks to this suite; {@code poolSize} null keeps the shipped pool. */
    static Map<String, String> settings(Integer poolSize) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "sandpod.backend", "local",
                "sandpod.local.cgroup-parent", CGROUP_PARENT,
                "sandpod.local.host-uid-min", Integer.toString(HOST_UID_MIN),
                "sandpod.local.host-uid-max", Integer.toString(HOST_UID_MAX)));
        if (poolSize != null) {
            settings.put("sandpod.local.pool-size", poolSize.toString());
        }
        return settings;
    }

    static LocalBackend start(Config sandpod) throws IOException {
        return new LocalBackend(sandpod);
    }

    @Override
    public Executor executor() {
        return executor;
    }

    @Override
    public Path python() {
        return config.python();
    }

    @Override
    public HostInvariants.Scope scope() throws IOException {
        return new HostInvariants.Scope(config.poolSize(), HOST_UID_MIN, HOST_UID_MAX, cgroupParents(), stateDir);
    }

    @Override
    public List<String> leftovers() {
        return List.of();
    }

    @Override
    public void close() {
        executor.close();
    }

    /** The local backend's state directories in the temp directory, to find the one this backend made. */
    private static Set<Path> stateDirs() throws IOException {
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return new HashSet<>(entries.filter(path -> path.getFileName().toString().startsWith("sandpod-local-"))
                    .toList());
        }
    }

    /**
     * Where run cgroups go, found independently of the backend's own code: the suite's parent below this process's
     * cgroup in each hierarchy that has a controller the jails use (v1), or in the unified one (v2).
     */
    private static List<Path> cgroupParents() throws IOException {
        Map<String, String> membership = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] parts = line.split(":", 3);
            for (String controller : parts[1].split(",")) {
                membership.put(controller, parts[2]);
            }
        }
        List<Path> parents = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ", 2);
            String[] left = halves[0].split(" ");
            String[] right = halves[1].split(" ");
            String own = switch (right[0]) {
                case "cgroup2" -> membership.get("");
                case "cgroup" -> List.of("memory", "pids", "cpu").stream()
                        .filter(List.of(right[2].split(","))::contains).findFirst().map(membership::get).orElse(null);
                default -> null;
            };
            if (own != null) {
                String root = left[3];
                String inside = root.equals("/") ? own : own.startsWith(root) ? own.substring(root.length()) : "/";
                Path parent = Path.of(left[4]).resolve(inside.replaceAll("^/+", "")).resolve(CGROUP_PARENT);
                if (Files.isDirectory(parent)) {
                    parents.add(parent);
                }
            }
        }
        return parents;
    }
}
