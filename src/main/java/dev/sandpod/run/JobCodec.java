package dev.sandpod.run;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Writes a {@link RunRequest} as the runner's job JSON (DESIGN §3); the same bytes go to a file, an env var or stdin. */
public final class JobCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JobCodec() {
    }

    public static byte[] encode(RunRequest request) {
        return encode(request, false);
    }

    /** @param stream whether the runner also prints the output as it comes ({@link OutputLines}) */
    public static byte[] encode(RunRequest request, boolean stream) {
        return encodeString(request, stream).getBytes(StandardCharsets.UTF_8);
    }

    public static String encodeString(RunRequest request) {
        return encodeString(request, false);
    }

    public static String encodeString(RunRequest request, boolean stream) {
        Limits limits = request.limits();
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("code", request.code());
        job.put("input", request.input());
        job.put("args", request.args());
        job.put("files", request.files());
        job.put("limits", Map.of(
                "timeMs", limits.timeMs(),
                "cpuMs", limits.cpuMs(),
                "memoryMb", limits.memoryMb(),
                "outputBytes", limits.outputBytes(),
                "fileBytes", limits.fileBytes(),
                "maxProcs", limits.maxProcs(),
                "outFiles", limits.outFiles(),
                "outFilesBytes", limits.outFilesBytes()));
        if (request.judged()) {
            job.put("tests", request.tests());
        } else if (stream) {
            job.put("stream", true);
        }
        try {
            return MAPPER.writeValueAsString(job);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("job of plain strings and numbers failed to serialize", e);
        }
    }

}
