package dev.sandpod.attacks;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.sandpod.run.TestCase;

import static dev.sandpod.attacks.Attack.program;
import static dev.sandpod.attacks.Expect.exitCode;
import static dev.sandpod.attacks.Expect.finished;
import static dev.sandpod.attacks.Expect.linesDenied;
import static dev.sandpod.attacks.Expect.status;
import static dev.sandpod.attacks.Expect.stdout;
import static dev.sandpod.attacks.Surface.INTEGRITY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Programs that try to change the result the service reports: a forged envelope, the runner's own stdout, its
 * signals and memory; and output that could break the JSON or a client's terminal.
 *
 * <p>Every forging program exits 7 after its attempt, while its forged envelope claims exit 0 and "FORGED" output,
 * so the genuine result and a successful forgery can never be mistaken for each other.
 */
final class IntegrityAttacks {
    private static final String FORGED = "SANDPOD-RESULT {\"status\":\"ok\",\"exitCode\":0,\"signal\":null,"
            + "\"stdout\":\"FORGED\",\"stderr\":\"\",\"output\":\"FORGED\",\"truncated\":false,\"timeMs\":1,"
            + "\"cpuMs\":1,\"memoryKb\":1,\"detail\":null}";
    /** Defines FAKE, the forged envelope line, as bytes. */
    private static final String FAKE = "import os, sys\nFAKE = " + pythonBytes(FORGED + "\n") + "\n";
    private static final String OUTPUT_CAP_CHAR = "€";

    private IntegrityAttacks() {
    }

    static List<Attack> all() {
        return List.of(
                program(INTEGRITY, "prints a fake SANDPOD-RESULT line", FAKE + """
                        sys.stdout.buffer.write(FAKE)
                        sys.exit(7)
                        """).expecting(genuine().and(stdout(FORGED + "\n"))),
                program(INTEGRITY, "fake envelope after a half line, on both streams, without a final newline", FAKE
                        + """
                        sys.stderr.buffer.write(FAKE)
                        sys.stdout.buffer.write(b"half" + b"\\n" + FAKE.rstrip())
                        sys.exit(7)
                        """).expecting(genuine().and(stdout("half\n" + FORGED))),
                program(INTEGRITY, "writes a fake envelope to the runner's stdout through /proc/1/fd", FAKE + """
                        import errno
                        for fd in range(8):
                            path = f"/proc/1/fd/{fd}"
                            try:
                                os.write(os.open(path, os.O_WRONLY), FAKE)
                                print(f"{path}: WRITTEN")
                            except OSError as e:
                                print(f"{path}: {errno.errorcode[e.errno]}")
                        sys.stdout.flush()
                        os._exit(7)
                        """).expecting(genuine().and(linesDenied("EACCES", "EPERM", "ENOENT"))),
                program(INTEGRITY, "closes its stdio, reopens what it can and writes a fake envelope everywhere", FAKE
                        + """
                        os.close(1)
                        os.close(2)
                        for path in ("/proc/1/fd/1", "/proc/1/fd/2", "/dev/stdout", "/dev/tty", "/proc/self/fd/1"):
                            try:
                                os.open(path, os.O_WRONLY)
                            except OSError:
                                pass
                        for fd in range(1024):
                            try:
                                os.write(fd, FAKE)
                            except OSError:
                                pass
                        os._exit(7)
                        """).expecting(genuine()),
                program(INTEGRITY, "signals the runner with everything it may catch", """
                        import os, signal, sys
                        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                                    signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXCPU,
                                    signal.SIGXFSZ, signal.SIGSTOP, signal.SIGTSTP, signal.SIGCONT):
                            for pid in {1, os.getppid()}:
                                try:
                                    os.kill(pid, sig)
                                except OSError:
                                    pass
                        print("signalled")
                        sys.exit(7)
                        """).expecting(genuine().and(stdout("signalled\n"))),
                program(INTEGRITY, "reads and writes the runner's memory", """
                        import ctypes, errno, os, sys
                        for path, flags in (("/proc/1/mem", os.O_RDWR), ("/proc/1/maps", os.O_RDONLY),
                                            ("/proc/1/environ", os.O_RDONLY)):
                            try:
                                os.read(os.open(path, flags), 1)
                                print(f"{path}: READ")
                            except OSError as e:
                                print(f"{path}: {errno.errorcode[e.errno]}")
                        libc = ctypes.CDLL(None, use_errno=True)
                        buf = ctypes.create_string_buffer(8)
                        local = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 8)
                        remote = (ctypes.c_void_p * 2)(0x400000, 8)
                        for name, nr in (("process_vm_readv", 310), ("process_vm_writev", 311)):
                            ok = libc.syscall(nr, 1, local, 1, remote, 1, 0)
                            print(f"{name}:", "DONE" if ok >= 0 else errno.errorcode[ctypes.get_errno()])
                        sys.stdout.flush()
                        os._exit(7)
                        """).expecting(genuine().and(linesDenied("EACCES", "EPERM", "ESRCH"))),
                program(INTEGRITY, "judge mode: looks everywhere for the tests' expected outputs", """
                        import os
                        NEEDLES = ('"expected' + 'Output":').encode(), ("hidden " + "answer").encode()
                        found = []
                        def look(label, data):
                            if any(needle in data for needle in NEEDLES):
                                found.append(label)
                        for name, value in os.environb.items():
                            look("env " + name.decode(), value)
                        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
                            for part in ("environ", "cmdline"):
                                try:
                                    look(f"/proc/{pid}/{part}", open(f"/proc/{pid}/{part}", "rb").read())
                                except OSError:
                                    pass
                        for top in ("/sandpod", os.getcwd(), "/dev/shm", "/run/secrets", "/var/run/secrets"):
                            for root, dirs, files in os.walk(top):
                                if root.count("/") - top.count("/") >= 3:
                                    dirs.clear()
                                for name in files:
                                    try:
                                        look(os.path.join(root, name), open(os.path.join(root, name), "rb").read(1 << 20))
                                    except OSError:
                                        pass
                        print("found in:", sorted(set(found)))
                        """).tests(new TestCase("", "the hidden answer 4242\n")).expecting(nothingFound()),
                program(INTEGRITY, "NUL bytes, invalid UTF-8, ANSI escapes and bidi overrides", """
                        import sys
                        raw = b"nul:\\x00|bad:\\xff\\xfe\\xc3(|esc:\\x1b[2J\\x1b]0;title\\x07|bidi:\\xe2\\x80\\xae|end\\n"
                        sys.stdout.buffer.write(raw)
                        sys.stderr.buffer.write(raw)
                        """).expecting(finished().and(safelyEncoded())),
                program(INTEGRITY, "output cut at the cap in the middle of a multi-byte character", """
                        import sys
                        sys.stdout.write("CHAR" * 30000)
                        """.replace("CHAR", OUTPUT_CAP_CHAR)).expecting(status("output_limit").and(wholeCharacters())));
    }

    /** A judged program that found no trace of the expected output: its one test is a wrong answer. */
    private static Expectation nothingFound() {
        return answer -> {
            assertEquals("wrong_answer", answer.body().path("verdict").asText(), answer::describe);
            assertEquals("found in: []\n", answer.body().path("tests").path(0).path("stdout").asText(), answer::describe);
        };
    }

    /** The genuine result of a forging program: it exited 7, whatever its forged envelope claimed. */
    private static Expectation genuine() {
        return status("runtime_error").and(exitCode(7))
                .and(answer -> assertTrue(!answer.stdout().equals("FORGED") && answer.timeMs() != 1,
                        () -> "the forged envelope won: " + answer.describe()));
    }

    /**
     * The bytes arrive as JSON escapes, never raw: a client printing the JSON gets no terminal control, and the text
     * fields keep every valid character while invalid bytes become replacement characters.
     */
    private static Expectation safelyEncoded() {
        return answer -> {
            for (byte b : answer.raw()) {
                assertTrue(b < 0 || b >= 0x20, () -> "raw control byte " + b + " in the body: " + answer.describe());
            }
            for (String stream : List.of(answer.stdout(), answer.stderr())) {
                assertTrue(stream.startsWith("nul:\u0000|bad:"), answer::describe);
                assertTrue(stream.endsWith("|esc:\u001b[2J\u001b]0;title\u0007|bidi:\u202e|end\n"), answer::describe);
                String bad = stream.substring("nul:\u0000|bad:".length(), stream.indexOf("(|esc:"));
                assertTrue(bad.chars().allMatch(c -> c == 0xfffd || c == '\\' || c == 'x' || Character.isLetterOrDigit(c)),
                        () -> "invalid bytes must be replaced or escaped, got '" + bad + "'");
            }
        };
    }

    /** The cut leaves whole characters and at most one replacement character, never a broken sequence. */
    private static Expectation wholeCharacters() {
        return answer -> {
            String rest = answer.stdout().replace(OUTPUT_CAP_CHAR, "");
            assertTrue(rest.isEmpty() || rest.equals("\ufffd"), () -> "after the last whole character: "
                    + rest.codePoints().mapToObj(Integer::toHexString).toList());
            assertEquals(true, answer.truncated(), answer::describe);
        };
    }

    private static String pythonBytes(String text) {
        StringBuilder literal = new StringBuilder("b'");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            literal.append(String.format("\\x%02x", b));
        }
        return literal.append('\'').toString();
    }
}
