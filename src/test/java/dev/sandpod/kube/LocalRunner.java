package dev.sandpod.kube;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import dev.sandpod.run.Envelope;
import dev.sandpod.run.JobCodec;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.RunResult;

/** Runs the bundled runner straight on this host with a job file: the reference a run through Kubernetes must match. */
final class LocalRunner {
    private static final long NOBODY = 65534;

    private LocalRunner() {
    }

    static RunResult run(RunRequest request, RunId id) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("sandpod-local-runner-");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path job = Files.writeString(dir.resolve("job.json"), JobCodec.encodeString(request));
            Process process = SandboxProcess.start(List.of(SandboxProcess.PYTHON, "-I", "-c", runnerSource(),
                    "--job-file", job.toString(), "--rlimit-nproc", "--workdir", dir.resolve("run").toString()),
                    Map.of(), dir, NOBODY, NOBODY);
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor();
            return Envelope.parse(out, id, "local").orElseThrow(() -> new AssertionError("no envelope in: " + out));
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static String runnerSource() {
        try (InputStream in = LocalRunner.class.getResourceAsStream("/runner.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
