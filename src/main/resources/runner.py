"""Sandpod runner: runs one untrusted Python program inside its sandbox and reports one result line.

The only Sandpod code that runs inside a sandbox (DESIGN section 3). Standard library only, Python 3.9+.

Command line (the runner never relies on its own path, so both forms behave the same):
    python3 -I [-S] runner.py          JOB-SOURCE [OPTIONS]
    python3 -I [-S] -c "<runner text>" JOB-SOURCE [OPTIONS]

JOB-SOURCE, exactly one of:
    --job-file PATH    read the job from a file (cold sandbox)
    --job-env NAME     read the job from the environment variable NAME (cold sandbox)
    --job-stdin        warm sandbox: start up fully and create the working directory, then block reading
                       the job from stdin. The job ends at the first newline or at EOF, whichever comes
                       first: compact JSON never holds a raw newline, and a Kubernetes attach cannot close
                       stdin, so a writer that can't send EOF sends the job followed by "\\n".
OPTIONS:
    --workdir DIR      the program's working directory (default /tmp/run). The runner creates it with mode
                       0700; an existing empty directory of the runner's uid (a tmpfs mount point) is reused.
    --python PATH      absolute path of the program's interpreter (default: the runner's own)
    --exec             always start the program in a new interpreter, never in fork mode (below)
    --rlimit-nproc     also set RLIMIT_NPROC=maxProcs on the program. RLIMIT_NPROC counts per uid, so use it
                       where the sandbox has a uid of its own (Kubernetes); the local jail has a pids cgroup
    --oom-events PATH  a file with an "oom_kill N" line, read before and after each run to tell a memory kill
                       (default: the first that exists of /sys/fs/cgroup/memory.events, cgroup v2, and
                       /sys/fs/cgroup/memory/memory.oom_control, cgroup v1)

Job: one JSON object,
    {"code": str, "input": str, "args": [str], "files": [{"path", "content", "encoding": "utf8" | "base64"}],
     "limits": {"timeMs", "cpuMs", "memoryMb", "outputBytes", "fileBytes", "maxProcs", "outFiles", "outFilesBytes"},
     "tests": [{"input", "expectedOutput"}], "stream": bool}  ("tests" present and non-empty: judge mode)
File paths are relative, made of non-empty parts other than "." and ".."; "main.py" holds the code.

Streaming: with "stream": true (and no tests), every piece of stdout or stderr the run keeps is also printed at once,
as it arrives, on the runner's stdout as a line SANDPOD-OUTPUT {"stream": "stdout" | "stderr", "text"}, before
the result line; the pieces are what "stdout" and "stderr" hold, cut at the same caps, and joined they are equal to
them. Judge mode never streams: the runner holds what the program must not learn early.

Result: exactly one line on the runner's stdout, then exit status 0, whatever the program did:
    SANDPOD-RESULT {"status", "exitCode", "signal", "stdout", "stderr", "output", "truncated",
                    "timeMs", "cpuMs", "memoryKb", "detail", "files", "filesTruncated", "tests"?, "verdict"?}
status: ok | runtime_error | timeout | memory_limit | output_limit | killed | internal_error; exitCode is
null and signal a name ("SIGKILL") when a signal ended the program; detail is a short text for any status but
ok. Judge mode runs the program once per test, each in a new process and a freshly written working
directory; "tests" holds {"index", "verdict", "status", "stdout", "stderr", "timeMs"} per test, and "verdict"
is the first one that is not "accepted" (else "accepted"); the other top-level fields are those of that test
(else of the last one), except timeMs and cpuMs (sums) and memoryKb (peak).
Files out: once the program has ended, however it ended (a timeout or a kill included), "files" holds
[{"path", "size", "content" (base64)}] of the regular files under out/ in the working directory ("/"-separated,
relative to out/; each directory's files in name order, then its subdirectories in name order), each file whole,
and no more than limits.outFiles of them and limits.outFilesBytes of content: the first file past either cap and
everything after it are left out and "filesTruncated" is true. Symlinks, FIFOs, devices and sockets
are skipped (never followed, never opened), and so are paths that are not UTF-8 or longer than 4096 bytes. The walk
looks at no more than 10000 names and 64 levels below out/; past either it is cut too. The status stays the
program's; an ok run that was cut says so in its detail. Judge mode returns no files.

The program runs as [python, -E, -s, -u, -B, main.py, *args] in the working directory, with a minimal
environment, its own pipes and session, rlimits CPU, FSIZE, NOFILE, CORE (and NPROC), and oom_score_adj
1000. Fork mode: with --job-stdin, for a job without tests and when --python is the runner's own interpreter, the
runner's forked child becomes that program instead of exec'ing it (argv, sys.path, __main__, stdio, environment,
signals, atexit, exit status and tracebacks as a new interpreter gives them), which saves an interpreter start.
What still shows: sys.flags, /proc/self/cmdline and /proc/self/environ are the runner's, the runner's modules are
already imported, the stack holds a few frames below the program's, and memoryKb counts the pages the program
shares with the runner. Judge mode always execs: the runner holds
the expected outputs, which a forked program could read from its copy of the runner's memory. The runner ignores
SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 and SIGALRM (the program shares its uid): stop it with SIGKILL.
"""
# Everything is imported here, before any program runs: before Python 3.11 "-I -c" still puts the current
# directory first on sys.path, so a lazy import after a run could load a module the program planted. Every jail
# start pays for these imports, so the runner takes the C modules under json, signal, selectors and base64: the
# Python ones pull in re, enum, functools and collections, which cost as much CPU as the interpreter's own start.
import _json
import _locale
import _signal as signal
import atexit
import binascii
import builtins
import codecs
import importlib.machinery
import io
import os
import resource
import select
import site  # under -S only the module: its main() runs in a forked program, never in the runner
import stat
import sys
import time

# A stripped-down Python, or no prctl in this libc: the runner stays dumpable, the sandbox's other layers still hold.
try:
    import ctypes
    PRCTL = ctypes.CDLL(None).prctl
except (ImportError, OSError, AttributeError):
    PRCTL = None

PREFIX = "SANDPOD-RESULT "
OUTPUT_PREFIX = "SANDPOD-OUTPUT "
OOM_EVENT_FILES = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")
LIMIT_KEYS = ("timeMs", "cpuMs", "outputBytes", "fileBytes", "maxProcs", "outFiles", "outFilesBytes")
OUT_DIR = "out"
MAX_OUT_PATH = 4096  # bytes of a returned path: the service bounds the envelope by it
MAX_OUT_NAMES = 10000
MAX_OUT_DEPTH = 64
DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK
IGNORED_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
                   signal.SIGUSR2, signal.SIGALRM)
CHILD_DEFAULT_SIGNALS = IGNORED_SIGNALS + (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD)
PATH = "/usr/local/bin:/usr/bin:/bin"
JSON_TYPES = {dict: "object", list: "array", str: "string"}
VALUE_FLAGS = {"--workdir": "workdir", "--python": "python", "--oom-events": "oom_events"}
CHUNK = 65536
OPEN_FILES = 64
PR_SET_DUMPABLE = 4
BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# signal.Signals' names; in reverse order, so that of two names for one number the first wins (SIGABRT, not SIGIOT)
SIGNAL_NAMES = {getattr(signal, name): name for name in sorted(dir(signal), reverse=True)
                if name.startswith("SIG") and not name.startswith("SIG_")}


class JobError(Exception):
    """The job or the sandbox can't be used; the message is short and safe to show to a client."""


class Job:
    """A checked job; anything malformed raises a JobError that says what."""

    def __init__(self, raw):
        job = expect(raw, dict, "the job")
        self.code = utf8(expect(job.get("code"), str, "code"))
        self.input = expect(job.get("input", ""), str, "input")
        self.args = [expect(arg, str, "args[]") for arg in expect(job.get("args", []), list, "args")]
        self.files = [decode_file(expect(f, dict, "files[]")) for f in expect(job.get("files", []), list, "files")]
        limits = expect(job.get("limits"), dict, "limits")
        self.limits = {key: positive(limits.get(key), "limits." + key) for key in LIMIT_KEYS}
        self.memory_mb = positive(limits["memoryMb"], "limits.memoryMb") if "memoryMb" in limits else None
        tests = [] if job.get("tests") is None else expect(job["tests"], list, "tests")
        self.tests = [decode_test(expect(test, dict, "tests[]")) for test in tests]
        self.stream = expect(job.get("stream", False), bool, "stream") and not self.tests


def expect(value, kind, what):
    if not isinstance(value, kind):
        raise JobError("invalid job: %s must be a JSON %s" % (what, JSON_TYPES[kind]))
    return value


def positive(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise JobError("invalid job: %s must be a positive integer" % what)
    return value


def utf8(text):
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate reaches the program as sent, not as a crash


def decode_test(test):
    return expect(test.get("input", ""), str, "tests[].input"), expect(test.get("expectedOutput"), str,
                                                                       "tests[].expectedOutput")


def decode_file(entry):
    path = expect(entry.get("path"), str, "files[].path")
    parts = path.split("/")
    if "\0" in path or any(part in ("", ".", "..") for part in parts):
        raise JobError("invalid file path %r: it must be relative, without empty, '.' or '..' parts" % path[:100])
    content = expect(entry.get("content"), str, "files[].content")
    encoding = entry.get("encoding") or "utf8"
    if encoding == "utf8":
        return parts, utf8(content)
    if encoding == "base64":
        try:
            return parts, b64decode(content)
        except ValueError:
            raise JobError("invalid base64 content for file %r" % path[:100]) from None
    raise JobError("invalid job: files[].encoding must be utf8 or base64")


def b64decode(text):
    """base64.b64decode(text, validate=True): only the alphabet, then at most two "=" of padding."""
    data = text.encode("ascii")
    body = data.rstrip(b"=")
    if len(data) - len(body) > 2 or body.translate(None, BASE64_ALPHABET):
        raise ValueError("non-base64 digit")
    return binascii.a2b_base64(data)


class Options:
    def __init__(self, argv):
        self.source, self.workdir, self.python = None, "/tmp/run", sys.executable
        self.nproc, self.oom_events, self.exec_only = False, None, False
        self.out = None  # the runner's own stdout, which streamed output shares with the result line
        args = iter(argv)
        for flag in args:
            if flag == "--job-stdin":
                self.set_source(flag, None)
            elif flag == "--rlimit-nproc":
                self.nproc = True
            elif flag == "--exec":
                self.exec_only = True
            elif flag in ("--job-file", "--job-env") or flag in VALUE_FLAGS:
                value = next(args, None)
                if not value:
                    raise JobError("runner flag %s needs a value" % flag)
                if flag in VALUE_FLAGS:
                    setattr(self, VALUE_FLAGS[flag], value)
                else:
                    self.set_source(flag, value)
            else:
                raise JobError("unknown runner flag %r" % flag[:40])
        if self.source is None:
            raise JobError("runner needs one of --job-file, --job-env or --job-stdin")
        if not os.path.isabs(self.python or ""):
            raise JobError("runner needs an absolute --python path")
        self.workdir = os.path.abspath(self.workdir)

    def set_source(self, flag, value):
        if self.source is not None:
            raise JobError("runner takes exactly one job source")
        self.source = (flag, value)


def set_dumpable(on):
    """Off, a program of the same uid can neither ptrace the runner nor open its /proc files (fd/N, mem,
    environ). Best effort, and reported nowhere: no place the program can't read would see it."""
    if PRCTL is not None:
        PRCTL(PR_SET_DUMPABLE, ctypes.c_ulong(on), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def claim_stdout():
    """Keep the runner's stdout for the envelope alone: a close-on-exec copy, and fd 1 itself on /dev/null."""
    for fd in (0, 1, 2):  # a closed standard fd would make a later pipe land on 0..2 and be clobbered by dup2
        try:
            os.fstat(fd)
        except OSError:
            os.dup2(os.open(os.devnull, os.O_RDWR), fd)
    out = os.dup(1)  # new fds are non-inheritable (PEP 446)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    return out


def read_job(options):
    flag, value = options.source
    try:
        if flag == "--job-file":
            with open(value, "rb") as f:
                return f.read()
        if flag == "--job-env":
            if os.fsencode(value) not in os.environb:
                raise JobError("job environment variable %s is not set" % value[:40])
            return os.environb[os.fsencode(value)]
        return read_stdin_line()
    except OSError as e:
        raise JobError("cannot read the job: %s" % e.strerror) from None


def read_stdin_line():
    chunks = []
    while True:
        chunk = os.read(0, CHUNK)
        end = chunk.find(b"\n")
        chunks.append(chunk if end < 0 else chunk[:end])
        if not chunk or end >= 0:
            return b"".join(chunks)


def decode_job(raw):
    try:
        return Job(parse_json(raw))
    except (ValueError, RecursionError, StopIteration):
        raise JobError("invalid job: not a JSON document") from None


class JsonRules:
    """What the C scanner reads from json.JSONDecoder: its defaults."""
    strict, object_hook, object_pairs_hook, parse_float, parse_int = True, None, None, float, int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


SCAN_JSON = _json.make_scanner(JsonRules())
ENCODE_JSON = _json.make_encoder(None, None, _json.encode_basestring_ascii, None, ":", ",", False, False, True)
JSON_SPACE = " \t\n\r"


def parse_json(raw):
    """json.loads of UTF-8 bytes: one value, with only JSON whitespace around it."""
    text = raw.decode("utf-8", "surrogatepass")
    start = len(text) - len(text.lstrip(JSON_SPACE))
    value, end = SCAN_JSON(text, start)
    if text[end:].strip(JSON_SPACE):
        raise ValueError("extra data")
    return value


def make_workdir(path):
    try:
        os.mkdir(path, 0o700)
        return
    except FileExistsError:
        pass
    except OSError as e:
        raise JobError("cannot create the working directory: %s" % e.strerror) from None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or os.listdir(path):
        raise JobError("the working directory exists and is not an empty directory of the runner")
    os.chmod(path, 0o700)


def write_files(workdir, job):
    """Writes main.py and the job's files through directory fds, never following a symlink."""
    root = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for parts, data in [(["main.py"], job.code)] + job.files:
            try:
                write_file(root, parts, data)
            except OSError as e:
                raise JobError("cannot write file %r: %s" % ("/".join(parts)[:100], e.strerror)) from None
    finally:
        os.close(root)


def write_file(root, parts, data):
    opened = []
    try:
        parent = root
        for name in parts[:-1]:
            try:
                os.mkdir(name, 0o700, dir_fd=parent)
            except FileExistsError:
                pass
            parent = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
            opened.append(parent)
        fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=parent)
        opened.append(fd)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        for fd in opened:
            os.close(fd)


def reset_workdir(workdir, job):
    """Gives the next judge test the pristine directory: the last program may have changed or filled it."""
    parent = os.open(os.path.dirname(workdir), os.O_RDONLY | os.O_DIRECTORY)
    try:
        remove_tree(parent, os.path.basename(workdir))
    finally:
        os.close(parent)
    make_workdir(workdir)
    write_files(workdir, job)


def remove_tree(parent, name):
    """Removes what it can of `name` below the directory fd `parent`, through fds, never following a symlink
    (shutil.rmtree's way, which would import re for its own sake)."""
    try:
        os.unlink(name, dir_fd=parent)
        return
    except IsADirectoryError:
        pass
    except OSError:
        return
    try:
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
    except OSError:
        return
    try:
        for entry in os.listdir(fd):
            remove_tree(fd, entry)
    except OSError:
        pass
    finally:
        os.close(fd)
    try:
        os.rmdir(name, dir_fd=parent)
    except OSError:
        pass


def spawn(job, options):
    """Forks the program; returns (pid, stdin, stdout, stderr) as our ends of its pipes. The child execs a new
    interpreter, or in fork mode (see forks) runs the program in this one: both take the same set-up and the same
    supervision, so only the interpreter's start differs."""
    argv = [options.python, "-E", "-s", "-u", "-B", "main.py"] + job.args  # -u, -B: -E ignores PYTHON* vars
    env = {"PATH": PATH, "HOME": options.workdir, "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
    fork = forks(job, options)
    (in_r, in_w), (out_r, out_w), (err_r, err_w), (fail_r, fail_w) = os.pipe(), os.pipe(), os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:
        start_program(argv, env, options, job, (in_r, out_w, err_w), fail_w, fork)
    for fd in (in_r, out_w, err_w, fail_w):
        os.close(fd)
    failure = os.read(fail_r, 512)  # EOF once execve closed fail_w (close-on-exec), or fork mode closed it
    os.close(fail_r)
    if failure:
        os.waitpid(pid, 0)
        for fd in (in_w, out_r, err_r):
            os.close(fd)
        raise JobError("cannot start the program: %s" % failure.decode("utf-8", "replace"))
    return pid, in_w, out_r, err_r


def forks(job, options):
    """Fork mode: a warm runner that already paid for its interpreter lends a copy of it to the program. Never in
    judge mode: the runner holds the expected outputs, which a forked program could find in its memory (gc). Only
    when the program's interpreter is ours, and only for source that compile() reads as the file tokenizer does:
    the latter stops at a NUL byte and words a decoding error differently."""
    if options.exec_only or options.source[0] != "--job-stdin" or job.tests or options.python != sys.executable:
        return False
    try:
        job.code.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in job.code


def start_program(argv, env, options, job, pipes, fail_w, fork):
    """In the forked child: wire the pipes, drop every other fd, apply the limits, then exec the program or run
    it here. Never returns."""
    try:
        os.setsid()  # a group of its own, so one killpg reaches every descendant that does not leave it
        for target, fd in enumerate(pipes):
            os.dup2(fd, target)
        os.closerange(3, fail_w)  # the runner's saved stdout among them
        os.closerange(fail_w + 1, max(os.sysconf("SC_OPEN_MAX"), fail_w + 1))
        signal.set_wakeup_fd(-1)
        for sig in CHILD_DEFAULT_SIGNALS:  # ignored dispositions would survive execve
            signal.signal(sig, signal.SIG_DFL)
        apply_rlimits(job.limits, options.nproc)
        set_dumpable(True)  # else /proc/self/oom_score_adj belongs to root; every other fd is closed by now
        volunteer_for_oom_kill()
        os.chdir(options.workdir)
        if not fork:
            os.execve(argv[0], argv, env)
        main_module = become_program(argv, env, options.workdir)
    except BaseException as e:
        try:
            os.write(fail_w, ("%s: %s" % (type(e).__name__, getattr(e, "strerror", None) or e)).encode()[:300])
        except BaseException:
            pass
        os._exit(127)
    os.close(fail_w)  # the program has started
    run_program(job.code, main_module)


def become_program(argv, env, workdir):
    """Fork mode: gives this process what `python -E -s -u -B main.py ARGS` would have started with (the
    interpreter's flags in sys.flags stay ours); returns the fresh __main__ module."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # what a new interpreter sets
        signal.signal(sig, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(env)
    _locale.setlocale(_locale.LC_CTYPE, "")  # as a new interpreter does, from env's LANG
    atexit._clear()  # the runner's; the program's own run at its end
    sys.argv, sys.orig_argv = argv[5:], list(argv)
    sys.dont_write_bytecode = True
    sys.path[:] = [workdir] + [entry for entry in sys.path if entry]
    site.main()  # site-packages, exit(), quit() and help(), as a fresh interpreter without -S has them
    site.enablerlcompleter()  # site.main() skips it in our isolated mode, the program's interpreter is not
    # -u and the C.UTF-8 locale of env: unbuffered writes, strict UTF-8 with surrogateescape, stderr backslashreplace
    sys.stdin = sys.__stdin__ = stdio(0, "<stdin>", "r", "surrogateescape")
    sys.stdout = sys.__stdout__ = stdio(1, "<stdout>", "w", "surrogateescape")
    sys.stderr = sys.__stderr__ = stdio(2, "<stderr>", "w", "backslashreplace")
    path = os.path.join(workdir, "main.py")
    module = type(sys)("__main__")
    module.__dict__.update(__file__=path, __cached__=None, __builtins__=builtins, __annotations__={},
                           __loader__=importlib.machinery.SourceFileLoader("__main__", path))
    sys.modules["__main__"] = module
    return module


def stdio(fd, name, mode, errors):
    """A standard stream as the interpreter makes it under -u: unbuffered writes, buffered reads."""
    stream = io.open(fd, mode + "b", buffering=-1 if mode == "r" else 0, closefd=False)
    (stream.raw if mode == "r" else stream).name = name
    text = io.TextIOWrapper(stream, "utf-8", errors, "\n", False, True)
    text.mode = mode
    return text


def run_program(code, module):
    """Fork mode: runs the program to its end as `python main.py` would, then leaves with os._exit, so that nothing
    of the runner (its atexit handlers, finalizers, the frames below this one) ever runs in this process."""
    status, interrupted = 1, False
    try:
        try:
            exec(compile(code, module.__file__, "exec", dont_inherit=True), module.__dict__)
            status = 0
        except SystemExit as e:
            status = exit_status(e.code)
        except BaseException as e:
            interrupted = isinstance(e, KeyboardInterrupt)
            frames = e.__traceback__.tb_next  # the program's frames, not ours; None for a SyntaxError
            sys.excepthook(type(e), e.with_traceback(frames), frames)
        status = finalize(status)
        if interrupted:  # as the interpreter does: die of the SIGINT that was not handled
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        os._exit(status)


def exit_status(code):
    """The exit status the interpreter gives SystemExit(code): a non-integer code is printed to stderr."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if -(1 << 63) <= code < 1 << 63 else 255
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:
        pass
    return 1


def finalize(status):
    """The interpreter's shutdown, in its order: wait for non-daemon threads, run atexit, flush; 120 if flushing
    failed."""
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except Exception:
            status = 120
    return status
def apply_rlimits(limits, nproc):
    cpu_s, file_bytes = cpu_seconds(limits), limits["fileBytes"]
    wanted = [(resource.RLIMIT_CPU, cpu_s, cpu_s + 1), (resource.RLIMIT_FSIZE, file_bytes, file_bytes),
              (resource.RLIMIT_NOFILE, OPEN_FILES, OPEN_FILES), (resource.RLIMIT_CORE, 0, 0)]
    if nproc:
        wanted.append((resource.RLIMIT_NPROC, limits["maxProcs"], limits["maxProcs"]))
    for which, soft, hard in wanted:
        ceiling = resource.getrlimit(which)[1]  # never above what the sandbox already allows: that would fail
        if ceiling != resource.RLIM_INFINITY:
            hard = min(hard, ceiling)
        resource.setrlimit(which, (min(soft, hard), hard))


def volunteer_for_oom_kill():
    """Best effort: with the highest score the program, not the runner, dies when the sandbox runs out of memory."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass


class Capture:
    """stdout and stderr of one run, each held to `cap` bytes, and both interleaved in arrival order (so the
    interleaved text never passes 2 * cap). Decoders are incremental so that a cut never splits a character."""

    def __init__(self, cap, out=None):
        self.cap, self.overflow, self.out = cap, None, out
        self.sizes = {"stdout": 0, "stderr": 0}
        self.texts = {"stdout": [], "stderr": []}
        self.decoders = {name: codecs.getincrementaldecoder("utf-8")("replace") for name in self.sizes}
        self.output = []

    def add(self, name, data):
        """Keeps what fits; returns False once a stream went over its cap."""
        if self.overflow:
            return False
        room = self.cap - self.sizes[name]
        if len(data) > room:
            data, self.overflow = data[:room], name
        self.sizes[name] += len(data)
        self.append(name, self.decoders[name].decode(data))
        return not self.overflow

    def finish(self):
        for name, decoder in self.decoders.items():
            if name != self.overflow:  # the cut one drops its partial character; the others show it as U+FFFD
                self.append(name, decoder.decode(b"", True))

    def append(self, name, text):
        if text:
            self.texts[name].append(text)
            self.output.append(text)
            if self.out is not None:
                write_line(self.out, OUTPUT_PREFIX, {"stream": name, "text": text})

    def text(self, name):
        return "".join(self.texts[name])


def watch_children():
    """The select loop wakes on SIGCHLD: Python's C handler writes to this pipe, so no exit goes unseen."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    return wake_r


def supervise(pid, stdin, readers, data, capture, deadline, wake_r):
    """Feeds stdin, collects output and waits for the child itself, never for pipe EOF (grandchildren may
    hold the pipes open). Returns (cause, wait status, rusage), cause being "wall", "output" or None."""
    poller = select.poll()
    poller.register(wake_r, select.POLLIN)
    for fd in readers:
        os.set_blocking(fd, False)
        poller.register(fd, select.POLLIN)
    pending = memoryview(data)
    if pending:
        os.set_blocking(stdin, False)
        poller.register(stdin, select.POLLOUT)
    else:  # EOF at once, or input() would wait for the wall limit
        os.close(stdin)
        stdin = None
    cause, exited = None, reap(pid, wake_r)
    while exited is None and cause is None:
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            cause = "wall"
            break
        for fd, _ in poller.poll(int(timeout * 1000) + 1):  # ms, rounded up: never a busy wait just short of it
            if fd == wake_r:
                exited = reap(pid, wake_r)
            elif fd == stdin:
                pending = feed(stdin, pending)
                if not pending:
                    poller.unregister(stdin)
                    os.close(stdin)
                    stdin = None
            else:
                chunk = os.read(fd, CHUNK)
                if not chunk:
                    poller.unregister(fd)
                elif not capture.add(readers[fd], chunk):
                    cause = "output"
    if stdin is not None:
        os.close(stdin)
    if exited is None:
        kill_group(pid)
        exited = os.wait4(pid, 0)[1:]
    status, usage = exited
    if cause == "wall" and not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
        cause = None  # it ended on its own before our kill landed (a busy host delayed us): report that end
    return cause, status, usage


def feed(fd, pending):
    """Writes what the pipe takes now; returns the rest, empty once done or once the reader is gone."""
    try:
        return pending[os.write(fd, pending[:CHUNK]):]
    except BlockingIOError:
        return pending
    except BrokenPipeError:
        return pending[:0]


def reap(pid, wake_r):
    """Collects exited children; returns the program's (status, rusage) once it is among them. As PID 1 every
    orphan of the sandbox is ours too, and reaping them as they die keeps zombies from filling the pid limit."""
    while True:
        try:
            if not os.read(wake_r, 4096):
                break
        except BlockingIOError:
            break
    found = None
    while True:
        try:
            child, status, usage = os.wait4(-1 if os.getpid() == 1 else pid, os.WNOHANG)
        except ChildProcessError:
            return found
        if child == 0:
            return found
        if child == pid:
            found = (status, usage)


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:  # the group is already gone
        pass


def kill_everything_else():
    """As the sandbox's PID 1, ends every process (double-forked daemons, setsid escapes) and reaps them all.
    Never called otherwise: kill(-1) outside a pid namespace would reach every process of the uid."""
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:  # nobody left to signal; zombies may still wait to be reaped
        pass
    while True:  # orphans are reparented to us before their parent dies, so ECHILD means none is left
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def drain(readers, capture):
    """Takes what the pipes already hold: all of it as PID 1 (every writer is dead), else up to EAGAIN."""
    for fd, name in readers.items():
        while True:
            try:
                chunk = os.read(fd, CHUNK)
            except BlockingIOError:
                break
            if not chunk or not capture.add(name, chunk):
                break
        os.close(fd)


def oom_kills(path):
    """The sandbox cgroup's OOM kill count, or None where no counter can be read."""
    for candidate in [path] if path else OOM_EVENT_FILES:
        try:
            with open(candidate) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


def run_once(job, data, options, wake_r):
    limits = job.limits
    oom_before, cpu_before = oom_kills(options.oom_events), children_cpu_ms()
    started = time.monotonic()  # the wall limit counts from just before the fork
    deadline = started + limits["timeMs"] / 1000
    pid, stdin, stdout, stderr = spawn(job, options)
    readers = {stdout: "stdout", stderr: "stderr"}
    capture = Capture(limits["outputBytes"], options.out if job.stream else None)
    cause, wait_status, usage = supervise(pid, stdin, readers, data, capture, deadline, wake_r)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    kill_group(pid)  # background processes that stayed in the program's group
    if os.getpid() == 1:
        kill_everything_else()
    drain(readers, capture)
    capture.finish()
    oom_after = oom_kills(options.oom_events)
    code = os.waitstatus_to_exitcode(wait_status)
    oom_killed = oom_before is not None and oom_after is not None and oom_after > oom_before
    status, detail = classify(cause or (capture.overflow and "output"), code, usage, capture, job, oom_killed)
    return {"status": status, "exitCode": code if code >= 0 else None,
            "signal": signal_name(-code) if code < 0 else None,
            "stdout": capture.text("stdout"), "stderr": capture.text("stderr"), "output": "".join(capture.output),
            "truncated": bool(capture.overflow), "timeMs": elapsed_ms,
            "cpuMs": children_cpu_ms() - cpu_before, "memoryKb": usage.ru_maxrss, "detail": detail,
            "files": [], "filesTruncated": False}


def add_files(envelope, workdir, limits):
    """The files of out/ into the envelope; a cut shows in the detail only of an ok run, whose detail is free."""
    envelope["files"], envelope["filesTruncated"] = collect_files(workdir, limits)
    if envelope["filesTruncated"] and envelope["status"] == "ok":
        envelope["detail"] = "out/ held more than a result carries (%d files, %d bytes): the rest was left out" % (
            limits["outFiles"], limits["outFilesBytes"])


def collect_files(workdir, limits):
    """(files, truncated) for out/ below `workdir`. A process of the program may still be racing us (where the
    runner is not the sandbox's PID 1), so nothing is trusted between a look and a read: every directory is opened
    below its parent's fd without following a symlink, and a file is read only once fstat on its own fd says regular
    (see read_regular)."""
    try:
        top = os.open(os.path.join(workdir, OUT_DIR), DIRECTORY_FLAGS)
    except OSError:  # no out/, or a symlink where it should be
        return [], False
    try:
        walk = OutWalk(limits)
        walk.visit(top, "", 0)
        return walk.files, walk.cut
    finally:
        os.close(top)


class OutWalk:
    """Depth first: each directory's files by name, then its subdirectories by name. No more than MAX_OUT_NAMES
    names in all and MAX_OUT_DEPTH levels are looked at, so neither a directory of a million empty files nor a tree
    deeper than the stack costs the runner its memory, its fds or its time."""

    def __init__(self, limits):
        self.files, self.cut, self.names_left = [], False, MAX_OUT_NAMES
        self.max_files, self.room = limits["outFiles"], limits["outFilesBytes"]

    def visit(self, fd, prefix, depth):
        """Walks the directory open as `fd`; False once the walk is over."""
        subdirs = []
        for name in self.names(fd):
            path = prefix + name
            if not carried(path):
                continue
            try:
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                subdirs.append(name)
            elif stat.S_ISREG(mode) and not self.take(fd, name, path):
                return False
        for name in subdirs:
            if depth == MAX_OUT_DEPTH:
                self.cut = True
                return False
            try:
                sub = os.open(name, DIRECTORY_FLAGS, dir_fd=fd)
            except OSError:
                continue
            try:
                if not self.visit(sub, prefix + name + "/", depth + 1):
                    return False
            finally:
                os.close(sub)
        return True

    def names(self, fd):
        """The directory's names, sorted, as many as the budget has left: a cut where it runs out."""
        names = []
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    if len(names) == self.names_left:
                        self.cut = True
                        break
                    names.append(entry.name)
        except OSError:  # a directory the program made unreadable
            pass
        self.names_left -= len(names)
        return sorted(names)

    def take(self, fd, name, path):
        """Adds one file unless it is no regular one; False, and a cut, once it would pass a cap."""
        data = read_regular(fd, name, self.room)
        if data is None:
            return True
        if len(self.files) == self.max_files or len(data) > self.room:
            self.cut = True
            return False
        self.room -= len(data)
        self.files.append({"path": path, "size": len(data),
                           "content": binascii.b2a_base64(data, newline=False).decode("ascii")})
        return True


def carried(path):
    """Whether a result can carry the path: UTF-8, and no longer than MAX_OUT_PATH (a walk through directory fds
    reaches past PATH_MAX)."""
    try:
        return len(path.encode("utf-8")) <= MAX_OUT_PATH
    except UnicodeEncodeError:  # os.fsdecode's surrogateescape of a byte that is not UTF-8
        return False


def read_regular(dirfd, name, room):
    """The content of a regular file, or of its first room + 1 bytes when it is bigger; None for anything else.
    O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=dirfd)
    except OSError:  # a symlink (ELOOP) or a name that has gone
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], room + 1
        while left > 0:
            chunk = os.read(fd, min(CHUNK, left))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def classify(cause, code, usage, capture, job, oom_killed):
    """(status, detail): our own kills first, then what the signal or the exit code says."""
    limits = job.limits
    cpu_s = cpu_seconds(limits)
    memory = "memory limit%s exceeded" % (" of %s MB" % job.memory_mb if job.memory_mb else "")
    if cause == "output":
        return "output_limit", "%s exceeded the limit of %d bytes" % (capture.overflow, limits["outputBytes"])
    if cause == "wall":
        return "timeout", "wall time limit of %d ms exceeded" % limits["timeMs"]
    if oom_killed:  # the kernel killed a process of the program at the limit, the main one or a child it waited for
        return "memory_limit", memory
    if code < 0:
        sig = -code
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and usage.ru_utime + usage.ru_stime >= cpu_s):
            return "timeout", "cpu time limit of %d s exceeded" % cpu_s
        return "killed", "killed by %s" % signal_name(sig)
    if code == 0:
        return "ok", None
    if any(line.startswith("MemoryError") for line in capture.text("stderr").splitlines()):
        return "memory_limit", memory
    return "runtime_error", "exited with code %d" % code


def cpu_seconds(limits):
    """RLIMIT_CPU counts whole seconds: round up, never cut a run short.

    When the CPU budget is no smaller than the wall budget, one thread reaches it only as the wall timer fires, and
    which of the two wins then depends on how late the runner wakes. A second more lets the wall timer win, so a busy
    loop ends the same way on every backend and under any load; threads that burn CPU faster than wall time still
    meet the kernel's limit."""
    seconds = -(-limits["cpuMs"] // 1000)
    return seconds + 1 if limits["cpuMs"] >= limits["timeMs"] else seconds


def signal_name(number):
    return SIGNAL_NAMES.get(number, "SIG%d" % number)


def children_cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((usage.ru_utime + usage.ru_stime) * 1000)


def judge(job, options, wake_r):
    results = []
    for index, (given, expected) in enumerate(job.tests):
        if index:
            reset_workdir(options.workdir, job)
        result = run_once(job, utf8(given), options, wake_r)
        results.append((verdict_of(result, expected), result))
    verdict, envelope = next((r for r in results if r[0] != "accepted"), results[-1])
    envelope = dict(envelope, timeMs=sum(r["timeMs"] for _, r in results),
                    cpuMs=sum(r["cpuMs"] for _, r in results), memoryKb=max(r["memoryKb"] for _, r in results))
    envelope["tests"] = [{"index": i, "verdict": v, "status": r["status"], "stdout": r["stdout"],
                          "stderr": r["stderr"], "timeMs": r["timeMs"]} for i, (v, r) in enumerate(results)]
    envelope["verdict"] = verdict
    return envelope


def verdict_of(result, expected):
    if result["status"] != "ok":
        return result["status"]
    return "accepted" if normalize(result["stdout"]) == normalize(expected) else "wrong_answer"


def normalize(text):
    """Judge comparison: trailing whitespace of each line and trailing empty lines do not count."""
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n")


def failure(detail):
    return {"status": "internal_error", "exitCode": None, "signal": None, "stdout": "", "stderr": "",
            "output": "", "truncated": False, "timeMs": 0, "cpuMs": 0, "memoryKb": 0, "detail": detail,
            "files": [], "filesTruncated": False}


def emit(out, envelope):
    write_line(out, PREFIX, envelope)


def write_line(out, prefix, value):
    line = (prefix + "".join(ENCODE_JSON(value, 0)) + "\n").encode("ascii")
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(out, view):]
    except OSError:  # nobody is listening: there is no one left to tell
        pass


def main():
    set_dumpable(False)
    for sig in IGNORED_SIGNALS:  # the program shares our uid and may signal us; KeyboardInterrupt included
        signal.signal(sig, signal.SIG_IGN)
    out = claim_stdout()
    try:
        options = Options(sys.argv[1:])
        options.out = out
        make_workdir(options.workdir)
        wake_r = watch_children()
        compile(b"", "", "exec")  # the first compile of a process sets up the parser: not on a forked program's time
        job = decode_job(read_job(options))  # a warm runner blocks here, ready to run at once
        write_files(options.workdir, job)
        if job.tests:
            envelope = judge(job, options, wake_r)
        else:
            envelope = run_once(job, utf8(job.input), options, wake_r)
            add_files(envelope, options.workdir, job.limits)
    except JobError as e:
        envelope = failure(str(e))
    except Exception as e:  # a runner bug still ends in one envelope, without internals
        envelope = failure("runner failed: %s" % type(e).__name__)
    emit(out, envelope)
    os._exit(0)  # nothing is left to flush: a full interpreter shutdown would only delay the sandbox's end


if __name__ == "__main__":
    main()
