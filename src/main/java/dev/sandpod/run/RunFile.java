package dev.sandpod.run;

/** A file the runner writes into the working directory before the program starts; content is as sent (utf8 or base64). */
public record RunFile(String path, String content, String encoding) {
}
