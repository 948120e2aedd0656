package dev.sandpod.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cgroup hierarchy the jails run in, found from {@code /proc/self/mountinfo} and {@code /proc/self/cgroup}, and
 * the parent under which each run gets its own cgroup ({@link RunCgroup}).
 *
 * <p>v2 is used when a cgroup2 mount offers memory, pids and cpu to the service's cgroup; v1 when the memory,
 * pids, cpu and cpuacct controllers are mounted separately (a hybrid host has an empty cgroup2 at
 * {@code /sys/fs/cgroup/unified} beside them, which holds no controller and is not usable).
 *
 * <p>A relative {@code cgroup-parent} lives below the service's own cgroup in each hierarchy, so the jails count
 * against whatever limits the service itself runs under (a container, a systemd unit); an absolute one is taken
 * from the hierarchy's root. On v2 the controllers must be enabled in every {@code cgroup.subtree_control} from the
 * service's cgroup down to the parent; a cgroup holding processes cannot enable them ("no internal processes"), so
 * when the service's own cgroup refuses, the service moves itself into a {@value #SERVICE_LEAF} leaf beside the
 * parent and tries again, which is what a delegated systemd unit or a container entrypoint is expected to do.
 */
final class Cgroups implements AutoCloseable {
    enum Version { V1, V2 }

    static final List<String> V1_CONTROLLERS = List.of("memory", "pids", "cpu", "cpuacct");
    static final List<String> V2_CONTROLLERS = List.of("memory", "pids", "cpu");
    static final String SERVICE_LEAF = "sandpod-service";

    private final Version version;
    /** Controller to the directory its run cgroups are made in; on v2 (or co-mounted v1 controllers) they share one. */
    private final Map<String, Path> parents;
    private final boolean swapAccounting;
    private final boolean killFile;

    private Cgroups(Version version, Map<String, Path> parents) {
        this.version = version;
        this.parents = Map.copyOf(parents);
        Path memory = parents.get("memory");
        this.swapAccounting = Files.exists(memory.resolve(version == Version.V1
                ? "memory.memsw.limit_in_bytes" : "memory.swap.max"));
        this.killFile = version == Version.V2 && Files.exists(memory.resolve("cgroup.kill"));
    }

    /** Opens the hierarchy this process sees; {@code wanted} is auto, v1 or v2. */
    static Cgroups open(String wanted, String parent) throws IOException {
        return open(wanted, parent, Files.readString(Path.of("/proc/self/mountinfo")),
                Files.readString(Path.of("/proc/self/cgroup")));
    }

    /** Opens the hierarchy described by the given mountinfo and cgroup membership (the test seam). */
    static Cgroups open(String wanted, String parent, String mountinfo, String selfCgroup) throws IOException {
        List<Mount> mounts = Mount.parseAll(mountinfo);
        Map<String, String> membership = membership(selfCgroup);
        Path v2Own = null;
        for (Mount mount : mounts) {
            if (mount.fsType().equals("cgroup2") && v2Own == null) {
                v2Own = mount.dirOf(membership.getOrDefault("", "/"));
            }
        }
        boolean v2Usable = v2Own != null && controllers(v2Own).containsAll(V2_CONTROLLERS);
        Map<String, Path> v1Own = new LinkedHashMap<>();
        for (String controller : V1_CONTROLLERS) {
            for (Mount mount : mounts) {
                if (mount.fsType().equals("cgroup") && mount.superOptions().contains(controller)) {
                    v1Own.put(controller, mount.dirOf(membership.getOrDefault(controller, "/")));
                    break;
                }
            }
        }
        boolean v1Usable = v1Own.keySet().containsAll(V1_CONTROLLERS);
        Version version = switch (wanted) {
            case "v2" -> v2Usable ? Version.V2 : null;
            case "v1" -> v1Usable ? Version.V1 : null;
            case "auto" -> v2Usable ? Version.V2 : v1Usable ? Version.V1 : null;
            default -> throw new IllegalArgumentException("cgroup version must be auto, v1 or v2: " + wanted);
        };
        if (version == null) {
            throw new IOException("no usable cgroup " + (wanted.equals("auto") ? "hierarchy" : wanted)
                    + ": need cgroup v2 with " + String.join(", ", V2_CONTROLLERS) + " available at "
                    + (v2Own == null ? "(no cgroup2 mount)" : v2Own)
                    + ", or cgroup v1 with " + String.join(", ", V1_CONTROLLERS) + " mounted (found "
                    + v1Own.keySet() + ")");
        }
        return version == Version.V2 ? openV2(v2Own, mountRootOf(mounts, "cgroup2", null), parent)
                : openV1(v1Own, mounts, parent);
    }

    private static Cgroups openV1(Map<String, Path> own, List<Mount> mounts, String parent) throws IOException {
        Map<String, Path> parents = new LinkedHashMap<>();
        for (Map.Entry<String, Path> entry : own.entrySet()) {
            Path base = parent.startsWith("/") ? mountRootOf(mounts, "cgroup", entry.getKey()) : entry.getValue();
            Path dir = base.resolve(relative(parent));
            Files.createDirectories(dir);
            parents.put(entry.getKey(), dir);
        }
        return new Cgroups(Version.V1, parents);
    }

    private static Cgroups openV2(Path own, Path mountRoot, String parent) throws IOException {
        Path base = parent.startsWith("/") ? mountRoot : own;
        Path dir = base.resolve(relative(parent));
        Files.createDirectories(dir);
        try {
            enableControllers(base, dir);
        } catch (IOException busy) {
            // the base holds processes: move this service into a leaf so the base may delegate (see class comment)
            Path leaf = base.resolve(SERVICE_LEAF);
            Files.createDirectories(leaf);
            Files.writeString(leaf.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
            try {
                enableControllers(base, dir);
            } catch (IOException again) {
                again.addSuppressed(busy);
                throw new IOException("cannot enable " + V2_CONTROLLERS + " below " + base
                        + ": it holds processes other than this service; run Sandpod in a delegated cgroup"
                        + " (systemd Delegate=yes) or set sandpod.local.cgroup-parent to a delegated absolute path",
                        again);
            }
        }
        Map<String, Path> parents = new LinkedHashMap<>();
        V2_CONTROLLERS.forEach(controller -> parents.put(controller, dir));
        return new Cgroups(Version.V2, parents);
    }

    /** Enables the controllers in {@code base} and in every directory from it down to {@code parent}. */
    private static void enableControllers(Path base, Path parent) throws IOException {
        String enable = "+" + String.join(" +", V2_CONTROLLERS);
        List<Path> chain = new ArrayList<>();
        for (Path dir = parent; dir != null && dir.startsWith(base); dir = dir.getParent()) {
            chain.addFirst(dir);
        }
        for (Path dir : chain) {
            if (!controllers(dir, "cgroup.subtree_control").containsAll(V2_CONTROLLERS)) {
                Files.writeString(dir.resolve("cgroup.subtree_control"), enable);
            }
        }
    }

    Version version() {
        return version;
    }

    /** Creates the cgroup of one run, named {@code name}, with its limits set and nothing in it yet. */
    RunCgroup create(String name, long memoryBytes, int maxPids) throws IOException {
        if (!name.matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("cgroup name: " + name);
        }
        Map<String, Path> dirs = new LinkedHashMap<>();
        parents.forEach((controller, parent) -> dirs.put(controller, parent.resolve(name)));
        List<Path> created = new ArrayList<>();
        try {
            for (Path dir : new LinkedHashSet<>(dirs.values())) {
                try {
                    Files.createDirectory(dir);
                } catch (NoSuchFileException parentRemoved) {
                    // another service sharing the parent removed it when it closed while we had no run in it
                    Files.createDirectories(dir.getParent());
                    Files.createDirectory(dir);
                }
                created.add(dir);
            }
            RunCgroup cgroup = new RunCgroup(version, dirs, swapAccounting, killFile);
            cgroup.setLimits(memoryBytes, maxPids);
            return cgroup;
        } catch (IOException | RuntimeException e) {
            for (Path dir : created.reversed()) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /**
     * Weighs the jails' parent against its siblings for the CPU: on v1 against each thread of the service (which sits in
     * the parent's parent), on v2 against the service's own cgroup.
     */
    void weigh(int serviceThreads) throws IOException {
        Path cpu = parents.get("cpu");
        if (version == Version.V2) {
            Files.writeString(cpu.resolve("cpu.weight"), Integer.toString(100 * serviceThreads));
        } else {
            Files.writeString(cpu.resolve("cpu.shares"), Integer.toString(1024 * serviceThreads));
        }
    }

    /** Removes the parent directories when no run is left in them; another user of the same parent keeps them. */
    @Override
    public void close() {
        for (Path parent : new LinkedHashSet<>(parents.values())) {
            try {
                Files.deleteIfExists(parent);
            } catch (IOException stillUsed) {
                // a cgroup with children (or tasks) refuses rmdir; the last user removes it
            }
        }
    }

    private static Path mountRootOf(List<Mount> mounts, String fsType, String controller) {
        for (Mount mount : mounts) {
            if (mount.fsType().equals(fsType) && (controller == null || mount.superOptions().contains(controller))) {
                return mount.mountPoint();
            }
        }
        throw new IllegalStateException("no " + fsType + " mount for " + controller);
    }

    private static Path relative(String parent) {
        String trimmed = parent.replaceAll("^/+", "");
        if (trimmed.isEmpty() || trimmed.contains("..") || !trimmed.matches("[A-Za-z0-9._/-]+")) {
            throw new IllegalArgumentException("cgroup parent must be a plain path: " + parent);
        }
        return Path.of(trimmed);
    }

    private static Set<String> controllers(Path dir) throws IOException {
        return controllers(dir, "cgroup.controllers");
    }

    private static Set<String> controllers(Path dir, String file) throws IOException {
        Path path = dir.resolve(file);
        if (!Files.exists(path)) {
            return Set.of();
        }
        return new LinkedHashSet<>(List.of(Files.readString(path).trim().split("\\s+")));
    }

    /** Controller (or "" for v2) to this process's cgroup path, from {@code /proc/self/cgroup}. */
    private static Map<String, String> membership(String selfCgroup) {
        Map<String, String> paths = new HashMap<>();
        for (String line : selfCgroup.split("\n")) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3) {
                for (String controller : parts[1].split(",")) {
                    paths.put(controller, parts[2]);
                }
            }
        }
        return paths;
    }

    /** One line of mountinfo: {@code id parent dev root mountpoint options [optional...] - fstype source super}. */
    record Mount(String root, Path mountPoint, String fsType, Set<String> superOptions) {
        static List<Mount> parseAll(String mountinfo) {
            List<Mount> mounts = new ArrayList<>();
            for (String line : mountinfo.split("\n")) {
                String[] halves = line.split(" - ", 2);
                if (halves.length < 2) {
                    continue;
                }
                String[] left = halves[0].split(" ");
                String[] right = halves[1].split(" ");
                if (left.length < 5 || right.length < 3) {
                    continue;
                }
                mounts.add(new Mount(unescape(left[3]), Path.of(unescape(left[4])), right[0],
                        Set.of(right[2].split(","))));
            }
            return mounts;
        }

        /** The directory of a cgroup path seen through this mount, whose root may itself be a sub-cgroup. */
        Path dirOf(String cgroupPath) {
            String inside = cgroupPath;
            if (!root.equals("/")) {
                inside = cgroupPath.startsWith(root) ? cgroupPath.substring(root.length()) : "/";
            }
            String trimmed = inside.replaceAll("^/+", "");
            return trimmed.isEmpty() ? mountPoint : mountPoint.resolve(trimmed);
        }

        private static String unescape(String field) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < field.length(); i++) {
                char c = field.charAt(i);
                if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                    out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
