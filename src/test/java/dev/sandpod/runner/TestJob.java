package dev.sandpod.runner;

import java.util.ArrayList;
import java.util.List;

import dev.sandpod.run.JobCodec;
import dev.sandpod.run.Limits;
import dev.sandpod.run.RunFile;
import dev.sandpod.run.RunRequest;
import dev.sandpod.run.TestCase;

/** Builds a runner job through the service's own {@link JobCodec}, with limits roomy enough for a loaded CI machine. */
final class TestJob {
    private final String code;
    private String input = "";
    private final List<String> args = new ArrayList<>();
    private final List<RunFile> files = new ArrayList<>();
    private final List<TestCase> tests = new ArrayList<>();
    private int timeMs = 10_000;
    private int cpuMs = 10_000;
    private long outputBytes = 65_536;
    private long fileBytes = 1 << 20;
    private int maxProcs = 64;
    private int outFiles = Limits.DEFAULT_OUT_FILES;
    private long outFilesBytes = Limits.DEFAULT_OUT_FILES_BYTES;
    private boolean stream;

    private TestJob(String code) {
        this.code = code;
    }

    static TestJob code(String code) {
        return new TestJob(code);
    }

    TestJob input(String value) {
        input = value;
        return this;
    }

    TestJob args(String... values) {
        args.addAll(List.of(values));
        return this;
    }

    TestJob file(String path, String content, String encoding) {
        files.add(new RunFile(path, content, encoding));
        return this;
    }

    TestJob test(String testInput, String expectedOutput) {
        tests.add(new TestCase(testInput, expectedOutput));
        return this;
    }

    TestJob timeMs(int value) {
        timeMs = value;
        return this;
    }

    TestJob cpuMs(int value) {
        cpuMs = value;
        return this;
    }

    TestJob outputBytes(long value) {
        outputBytes = value;
        return this;
    }

    TestJob fileBytes(long value) {
        fileBytes = value;
        return this;
    }

    TestJob maxProcs(int value) {
        maxProcs = value;
        return this;
    }

    TestJob outFiles(int count, long bytes) {
        outFiles = count;
        outFilesBytes = bytes;
        return this;
    }

    /** The runner also prints the output as it comes. */
    TestJob streamed() {
        stream = true;
        return this;
    }

    String json() {
        Limits limits = new Limits(timeMs, cpuMs, 128, outputBytes, fileBytes, maxProcs, outFiles, outFilesBytes);
        return JobCodec.encodeString(new RunRequest(code, input, args, files, limits, tests), stream);
    }
}
