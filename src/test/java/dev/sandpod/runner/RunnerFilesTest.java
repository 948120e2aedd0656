package dev.sandpod.runner;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import dev.sandpod.run.OutputFile;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files out: what the program leaves under out/ comes back in the envelope, bounded, and nothing else does. */
class RunnerFilesTest extends RunnerTestSupport {

    @Test
    void returnsNestedTextAndBinaryFilesWithTheirSizesTypesAndBytes() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out/plots/raw')
                with open('out/notes.txt', 'w') as f:
                    f.write('hello\\n')
                with open('out/plots/raw/data.bin', 'wb') as f:
                    f.write(bytes(range(256)))
                with open('out/plots/table.csv', 'w') as f:
                    f.write('a,b\\n1,2\\n')
                with open('not-out.txt', 'w') as f:
                    f.write('stays in the sandbox')
                """));

        assertEquals(Status.OK, result.status(), result::toString);
        assertEquals(List.of("notes.txt", "plots/table.csv", "plots/raw/data.bin"), paths(result));
        assertFile(result.files().get(0), "text/plain", "hello\n".getBytes(StandardCharsets.UTF_8));
        assertFile(result.files().get(1), "text/csv", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8));
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        assertFile(result.files().get(2), "application/octet-stream", everyByte);
        assertFalse(result.filesTruncated());
    }

    @Test
    void noOutDirectoryMeansNoFiles() throws Exception {
        RunResult result = run(TestJob.code("print('nothing written')"));

        assertEquals(List.of(), result.files());
        assertFalse(result.filesTruncated());
        assertNull(result.detail());
    }

    @Test
    void skipsASymlinkToAHostFileAndASymlinkedDirectory() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                os.symlink('/etc/passwd', 'out/passwd')
                os.symlink('/etc', 'out/etc')
                with open('out/real.txt', 'w') as f:
                    f.write('mine')
                """));

        assertEquals(List.of("real.txt"), paths(result), result::toString);
        assertFalse(result.filesTruncated());
    }

    @Test
    void aFifoInOutIsSkippedWithoutHangingTheRunner() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                os.mkfifo('out/pipe')
                with open('out/after.txt', 'w') as f:
                    f.write('after the fifo')
                """));

        assertEquals(Status.OK, result.status(), result::toString);
        assertEquals(List.of("after.txt"), paths(result));
    }

    @Test
    void stopsAtTheFirstFilePastTheByteCapAndSaysSo() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                for name in 'abcd':
                    with open('out/' + name, 'wb') as f:
                        f.write(b'x' * 400)
                """).outFiles(64, 1000));

        assertEquals(Status.OK, result.status(), "the program's status stands");
        assertTrue(result.filesTruncated());
        assertEquals(List.of("a", "b"), paths(result));
        assertTrue(result.files().stream().mapToLong(OutputFile::size).sum() <= 1000);
        assertEquals("out/ held more than a result carries (64 files, 1000 bytes): the rest was left out",
                result.detail());
    }

    @Test
    void stopsAtTheCountCapAndSaysSo() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                for i in range(10):
                    open('out/%d.txt' % i, 'w').close()
                """).outFiles(3, 1000));

        assertTrue(result.filesTruncated());
        assertEquals(List.of("0.txt", "1.txt", "2.txt"), paths(result));
    }

    @Test
    void exactlyAtTheCapsNothingIsCut() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                for name in 'ab':
                    with open('out/' + name, 'wb') as f:
                        f.write(b'x' * 500)
                """).outFiles(2, 1000));

        assertEquals(List.of("a", "b"), paths(result));
        assertFalse(result.filesTruncated());
    }

    @Test
    void aTreeDeeperThanTheWalksDepthIsCutBelowIt() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                with open('out/top.txt', 'w') as f:
                    f.write('top')
                os.chdir('out')
                for _ in range(100):
                    os.mkdir('d')
                    os.chdir('d')
                with open('deep.txt', 'w') as f:
                    f.write('deep')
                """));

        assertEquals(Status.OK, result.status(), result::toString);
        assertEquals(List.of("top.txt"), paths(result));
        assertTrue(result.filesTruncated());
    }

    @Test
    void aDirectoryOfMoreNamesThanTheWalkLooksAtIsCut() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                for i in range(10_005):
                    open('out/%05d' % i, 'w').close()
                """).outFiles(20_000, 1000));

        assertEquals(Status.OK, result.status(), result::toString);
        assertEquals(10_000, result.files().size(), "the names the walk looks at in all");
        assertTrue(result.filesTruncated());
    }

    @Test
    void aTimedOutProgramStillReturnsWhatItWrote() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out')
                with open('out/partial.txt', 'w') as f:
                    f.write('so far')
                while True:
                    pass
                """).timeMs(1000).cpuMs(10_000));

        assertEquals(Status.TIMEOUT, result.status(), result::toString);
        assertEquals(List.of("partial.txt"), paths(result));
    }

    @Test
    void judgeModeReturnsNoFiles() throws Exception {
        RunResult result = run(TestJob.code("""
                import os
                os.makedirs('out', exist_ok=True)
                open('out/a.txt', 'w').close()
                print('ok')
                """).test("", "ok"));

        assertEquals("accepted", result.verdict(), result::toString);
        assertEquals(List.of(), result.files());
    }

    private static List<String> paths(RunResult result) {
        return result.files().stream().map(OutputFile::path).toList();
    }

    private static void assertFile(OutputFile file, String mimeType, byte[] content) {
        assertEquals(mimeType, file.mimeType(), file.path());
        assertEquals(content.length, file.size(), file.path());
        assertArrayEquals(content, Base64.getDecoder().decode(file.contentBase64()), file.path());
    }
}
