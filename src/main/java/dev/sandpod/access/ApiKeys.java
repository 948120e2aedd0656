package dev.sandpod.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The API keys a replica accepts, as SHA-256 digests each with its id: the keys themselves are not kept. A presented key
 * is compared with every digest in constant time and the loop never ends early, so an unknown key and one that differs
 * from a real key in its last character take the same time; a digest of a random token leaks nothing of a key.
 */
public final class ApiKeys {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{16,256}");

    private final List<Entry> entries;

    private record Entry(String id, byte[] digest) {
    }

    private ApiKeys(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * The keys of a key file: one {@code id:key} per line, blank lines and {@code #} comments skipped. An id is 1 to 64
     * of {@code A-Z a-z 0-9 . _ -}; a key is 16 to 256 printable ASCII characters without spaces. A refusal names the
     * line, never its key.
     */
    public static ApiKeys parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> digests = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String id = colon < 0 ? line : line.substring(0, colon);
            String key = colon < 0 ? "" : line.substring(colon + 1);
            int number = i + 1;
            if (!ID.matcher(id).matches()) {
                throw new IllegalArgumentException("line " + number + ": not \"id:key\" with an id of 1 to 64 of"
                        + " A-Z a-z 0-9 . _ -");
            }
            if (!KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("line " + number + ": the key of " + id + " is not 16 to 256"
                        + " printable ASCII characters without spaces");
            }
            if (!ids.add(id)) {
                throw new IllegalArgumentException("line " + number + ": the id " + id + " is there twice");
            }
            byte[] digest = sha256(key);
            if (!digests.add(HexFormat.of().formatHex(digest))) {
                throw new IllegalArgumentException("line " + number + ": the key of " + id + " is another id's key");
            }
            entries.add(new Entry(id, digest));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("the file holds no key: with keys on, no one could run");
        }
        return new ApiKeys(entries);
    }

    /** The id of the key presented, if it is one of these. */
    public Optional<String> idOf(String presented) {
        byte[] digest = sha256(presented);
        String found = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.digest(), digest)) {
                found = entry.id();
            }
        }
        return Optional.ofNullable(found);
    }

    public int size() {
        return entries.size();
    }

    private static byte[] sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
