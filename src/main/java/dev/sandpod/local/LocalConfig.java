package dev.sandpod.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import io.helidon.config.Config;

/**
 * Settings of the local backend, from the {@code sandpod.local} config node.
 *
 * @param cgroupVersion  auto, v1 or v2
 * @param cgroupParent   where the run cgroups go: relative to the service's own cgroup, or absolute from the root
 * @param uid            uid inside the jail
 * @param gid            gid inside the jail
 * @param hostUidMin     first host uid (and gid) a jail may run as when the service is root
 * @param hostUidMax     last such uid; the range must cover the concurrent runs plus the pool
 * @param deadlineMargin how long past a run's time limit the executor waits for the runner before killing the jail
 * @param sandboxCpuWeight the CPU weight of the jails' parent cgroup, in busy threads of the service (1 to 100)
 */
public record LocalConfig(Path bwrap, Path python, String cgroupVersion, String cgroupParent, int runnerOverheadMb,
                          int poolSize, int uid, int gid, int hostUidMin, int hostUidMax, Duration deadlineMargin,
                          int sandboxCpuWeight) {
    public LocalConfig {
        requireAbsolute("bwrap", bwrap);
        requireAbsolute("python", python);
        if (!Set.of("auto", "v1", "v2").contains(cgroupVersion)) {
            throw invalid("cgroup-version", cgroupVersion, "auto, v1 or v2");
        }
        if (!cgroupParent.matches("/?[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") || cgroupParent.contains("..")) {
            throw invalid("cgroup-parent", cgroupParent, "a cgroup path such as sandpod or /sandpod");
        }
        if (runnerOverheadMb < 0) {
            throw invalid("runner-overhead-mb", runnerOverheadMb, ">= 0");
        }
        if (poolSize < 0 || poolSize > 64) {
            throw invalid("pool-size", poolSize, "0 to 64");
        }
        if (uid < 1 || gid < 1) {
            throw invalid("uid/gid", uid + "/" + gid, "not 0: the jail's user is never root");
        }
        if (hostUidMin < 1 || hostUidMax < hostUidMin) {
            throw invalid("host-uid-min/host-uid-max", hostUidMin + "/" + hostUidMax, "1 <= min <= max");
        }
        if (deadlineMargin.isNegative()) {
            throw invalid("deadline-margin-ms", deadlineMargin.toMillis(), ">= 0");
        }
        if (sandboxCpuWeight < 1 || sandboxCpuWeight > 100) {
            throw invalid("sandbox-cpu-weight", sandboxCpuWeight, "1 to 100");
        }
    }

    /** Reads the {@code sandpod.local} node; a missing or malformed key fails with the key's name. */
    public static LocalConfig from(Config local) {
        try {
            return new LocalConfig(
                    Path.of(local.get("bwrap").asString().get()),
                    Path.of(local.get("python").asString().get()),
                    local.get("cgroup-version").asString().get(),
                    local.get("cgroup-parent").asString().get(),
                    local.get("runner-overhead-mb").asInt().get(),
                    local.get("pool-size").asInt().get(),
                    local.get("uid").asInt().get(),
                    local.get("gid").asInt().get(),
                    local.get("host-uid-min").asInt().get(),
                    local.get("host-uid-max").asInt().get(),
                    Duration.ofMillis(local.get("deadline-margin-ms").asInt().get()),
                    local.get("sandbox-cpu-weight").asInt().get());
        } catch (io.helidon.config.ConfigException e) {
            throw new IllegalArgumentException("invalid " + local.key() + " config: " + e.getMessage(), e);
        }
    }

    private static void requireAbsolute(String key, Path path) {
        if (!path.isAbsolute()) {
            throw invalid(key, path, "an absolute path");
        }
    }

    private static IllegalArgumentException invalid(String key, Object value, String rule) {
        return new IllegalArgumentException("sandpod.local." + key + " must be " + rule + ": " + value);
    }
}
