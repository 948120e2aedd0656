package dev.sandpod.access;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The API keys of a file, read again whenever its content changes, without a restart. A Kubernetes Secret volume
 * swaps its files by renaming a directory, so the content is compared, not a modification time. A file that cannot be
 * read or parsed at start fails the start; later, the keys read before stay in force and the fault is logged.
 */
public final class KeyFile implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KeyFile.class.getName());

    private final Path path;
    private final ScheduledExecutorService reloads;
    /** A digest of the file's content, to notice a change without holding the keys themselves. */
    private volatile byte[] contentDigest;
    private volatile ApiKeys keys;

    private KeyFile(Path path, byte[] content, ApiKeys keys) {
        this.path = path;
        this.contentDigest = ApiKeys.sha256(content);
        this.keys = keys;
        // a platform thread of its own: a file read blocks, and must not hold a carrier that serves HTTP
        this.reloads = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("api-keys").factory());
    }

    /** Reads the file now and then every {@code interval}. */
    public static KeyFile watch(Path path, Duration interval) {
        byte[] content = read(path);
        KeyFile file = new KeyFile(path, content, parse(path, content));
        file.reloads.scheduleWithFixedDelay(file::reload, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return file;
    }

    public ApiKeys keys() {
        return keys;
    }

    void reload() {
        try {
            byte[] now = read(path);
            byte[] digest = ApiKeys.sha256(now);
            if (Arrays.equals(digest, contentDigest)) {
                return;
            }
            ApiKeys parsed = parse(path, now);
            keys = parsed;
            contentDigest = digest;
            LOG.log(Level.INFO, "API keys reloaded from " + path + ": " + parsed.size() + " keys");
        } catch (IllegalArgumentException | IllegalStateException e) {
            LOG.log(Level.ERROR, e.getMessage() + "; the " + keys.size() + " keys read before stay in force");
        }
    }

    @Override
    public void close() {
        reloads.shutdownNow();
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalStateException("the API key file " + path + " cannot be read: " + e.getMessage());
        }
    }

    private static ApiKeys parse(Path path, byte[] content) {
        try {
            return ApiKeys.parse(new String(content, StandardCharsets.UTF_8).lines().toList());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the API key file " + path + ", " + e.getMessage(), e);
        }
    }
}
