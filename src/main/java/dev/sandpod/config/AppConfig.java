package dev.sandpod.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * Loads the service's configuration: environment variables over an optional operator file over the bundled
 * {@code application.yaml}, then refuses any {@code sandpod.*} key or {@code SANDPOD_*} variable it does not know.
 *
 * <p>Helidon's own environment mapping turns {@code SANDPOD_LIMITS_MAX_TIMEOUT_MS} into
 * {@code sandpod.limits.max.timeout.ms}, which names no key of ours. So every key of the bundled file gets exactly one
 * variable name ({@link KnownKeys#envName}) and only those are read.
 */
public final class AppConfig {
    /** Names a YAML file whose keys override the bundled ones; the Helm chart mounts its ConfigMap there. */
    public static final String FILE_VARIABLE = "SANDPOD_CONFIG";
    private static final String BUNDLED = "application.yaml";

    private AppConfig() {
    }

    public static Config load(Map<String, String> env) {
        KnownKeys known = KnownKeys.of(Config.just(ConfigSources.classpath(BUNDLED)));
        Config.Builder builder = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.create(known.fromEnvironment(env, FILE_VARIABLE), "environment").build());
        String file = env.get(FILE_VARIABLE);
        if (file != null && !file.isBlank()) {
            Path path = Path.of(file);
            if (!Files.isReadable(path)) {
                throw new InvalidConfigException(FILE_VARIABLE + " names " + path + ", which is not a readable file");
            }
            builder.addSource(ConfigSources.file(path));
        }
        Config config = builder.addSource(ConfigSources.classpath(BUNDLED)).build();
        known.checkNoUnknown(config);
        return config;
    }
}
