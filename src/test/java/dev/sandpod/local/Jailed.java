package dev.sandpod.local;

import java.nio.file.Path;

import dev.sandpod.run.Limits;
import dev.sandpod.run.RunRequest;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/** Shared set-up of the tests that run real jails: the shipped config, the default limits, request shorthands. */
final class Jailed {
    static final Limits DEFAULTS = new Limits(2000, 2000, 128, 65536, 16 << 20, 64);

    private Jailed() {
    }

    /** The shipped {@code sandpod.local} config. */
    static LocalConfig config() {
        return LocalConfig.from(Config.just(ConfigSources.classpath("application.yaml")).get("sandpod.local"));
    }

    /** The shipped config with another pool size and bwrap path. */
    static LocalConfig config(int poolSize, Path bwrap) {
        LocalConfig c = config();
        return new LocalConfig(bwrap, c.python(), c.cgroupVersion(), c.cgroupParent(), c.runnerOverheadMb(), poolSize,
                c.uid(), c.gid(), c.hostUidMin(), c.hostUidMax(), c.deadlineMargin());
    }

    static LocalConfig config(int poolSize) {
        return config(poolSize, config().bwrap());
    }

    static RunRequest request(String code) {
        return RunRequest.of(code, "", DEFAULTS);
    }

    static RunRequest request(String code, Limits limits) {
        return RunRequest.of(code, "", limits);
    }
}
