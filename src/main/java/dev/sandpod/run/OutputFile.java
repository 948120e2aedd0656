package dev.sandpod.run;

import java.net.URLConnection;
import java.util.Base64;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A file the program left under {@code out/}, as the runner read it once the program had ended.
 *
 * <p>The media type is named here rather than in the runner: Python's {@code mimetypes} pulls in {@code re} and
 * {@code urllib}, which every jail start would pay for, and the JDK's table gives the same answer for the common
 * extensions (png, jpeg, svg, csv, json, txt, html, pdf).
 *
 * @param path          relative to {@code out/}, '/'-separated, without empty, "." or ".." parts
 * @param size          bytes of content
 * @param mimeType      by the name's extension; {@code application/octet-stream} when it names none
 * @param contentBase64 the bytes, standard base64 with padding
 */
public record OutputFile(String path, long size, String mimeType, String contentBase64) {
    static final String UNKNOWN_TYPE = "application/octet-stream";
    private static final int MAX_PATH_CHARS = 4096;
    /** A path's worst case in the runner's ASCII JSON: PATH_MAX bytes, each escaped as \\uXXXX, plus the keys. */
    private static final int ENTRY_OVERHEAD_BYTES = MAX_PATH_CHARS * 6 + 128;

    /** The entry as the runner wrote it, or empty when it is not one the runner writes: a bug, never a program's doing. */
    static Optional<OutputFile> fromEnvelope(JsonNode entry) {
        JsonNode path = entry.path("path");
        JsonNode size = entry.path("size");
        JsonNode content = entry.path("content");
        if (!path.isTextual() || !validPath(path.asText()) || !size.canConvertToLong() || !size.isIntegralNumber()
                || !content.isTextual()) {
            return Optional.empty();
        }
        try {
            if (Base64.getDecoder().decode(content.asText()).length != size.asLong()) {
                return Optional.empty();
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.of(new OutputFile(path.asText(), size.asLong(), mimeTypeOf(path.asText()), content.asText()));
    }

    /** The most the files part of an envelope can take: base64 of the bytes cap plus each entry's path and keys. */
    public static long envelopeBytes(int outFiles, long outFilesBytes) {
        return (outFilesBytes + 2) / 3 * 4 + (long) outFiles * ENTRY_OVERHEAD_BYTES;
    }

    static String mimeTypeOf(String path) {
        String type = URLConnection.guessContentTypeFromName(path.substring(path.lastIndexOf('/') + 1));
        return type == null ? UNKNOWN_TYPE : type;
    }

    private static boolean validPath(String path) {
        if (path.isEmpty() || path.length() > MAX_PATH_CHARS || path.indexOf('\0') >= 0) {
            return false;
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }
}
