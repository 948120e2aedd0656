package dev.sandpod.kube;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandpod.run.Envelope;
import dev.sandpod.run.OutputFile;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.TestOutcome;

/**
 * A run's result written as the runner's envelope JSON, so that {@link Envelope} reads it back field for field, for the
 * {@link KeptAnnotations#RESULT} annotation. Only a small one is kept there: a result the service made itself (an
 * internal error, a limit the node enforced, a cancel) always is, as it carries no output, and the replica that ran the
 * run is the only one that knows it; a large one stays in the pod's log, where the runner put it.
 */
final class StoredResult {
    /** Far inside the annotations' 256 KiB, and small enough that every watch event carrying it stays cheap. */
    static final int MAX_BYTES = 4096;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private StoredResult() {
    }

    /** The result as envelope JSON, or empty when it is larger than {@link #MAX_BYTES}. */
    static Optional<String> of(RunResult result) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("status", result.status().wireName());
        envelope.put("exitCode", result.exitCode());
        envelope.put("signal", result.signal());
        envelope.put("stdout", result.stdout());
        envelope.put("stderr", result.stderr());
        envelope.put("output", result.output());
        envelope.put("truncated", result.truncated());
        envelope.put("timeMs", result.timeMs());
        envelope.put("cpuMs", result.cpuMs());
        envelope.put("memoryKb", result.memoryKb());
        envelope.put("detail", result.detail());
        envelope.put("verdict", result.verdict());
        envelope.put("tests", result.tests().stream().map(TestOutcome::fields).toList());
        envelope.put("files", files(result.files()));
        envelope.put("filesTruncated", result.filesTruncated());
        try {
            String json = MAPPER.writeValueAsString(envelope);
            return json.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES ? Optional.of(json) : Optional.empty();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of strings and numbers failed to serialize", e);
        }
    }

    /** The result {@link #of} wrote, for the run {@code id} of {@code backend}; empty if it is not one. */
    static Optional<RunResult> read(String json, RunId id, String backend) {
        return Envelope.parse(Envelope.PREFIX + json, id, backend);
    }


    private static List<Map<String, Object>> files(List<OutputFile> files) {
        return files.stream().map(file -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("path", file.path());
            entry.put("size", file.size());
            entry.put("content", file.contentBase64());
            return entry;
        }).toList();
    }
}
