package dev.sandpod.local;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Proves the seccomp filter from real Python in the real jail, through ctypes {@code syscall()}. Arguments are
 * chosen so that, where the kernel itself would refuse, it would mostly answer something else (EFAULT, EBADF,
 * ESRCH, EINVAL): the expected errno then shows it was the filter that answered.
 */
class JailSeccompTest {
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    private static final int EAFNOSUPPORT = 97;
    private static LocalExecutor executor;

    @BeforeAll
    static void start() {
        assumeTrue(System.getProperty("os.arch").equals("amd64"), "syscall numbers below are x86_64's");
        executor = LocalExecutor.create(Jailed.config(0), Jailed.DEFAULTS);
    }

    @AfterAll
    static void stop() {
        if (executor != null) {
            executor.close();
        }
    }

    /** name, then the syscall number and its arguments, then the errno the jail must answer (0: must succeed). */
    private static final Object[][] CALLS = {
        {"ptrace", 101, new long[] {16, 0x7fffffff, 0, 0}, EPERM},
        {"process_vm_readv", 310, new long[] {0x7fffffff, 0, 0, 0, 0, 0}, EPERM},
        {"process_vm_writev", 311, new long[] {0x7fffffff, 0, 0, 0, 0, 0}, EPERM},
        {"kcmp", 312, new long[] {0x7fffffff, 0x7fffffff, 0, 0, 0}, EPERM},
        {"pidfd_getfd", 438, new long[] {-1, 0, 0}, EPERM},
        {"process_madvise", 440, new long[] {-1, 0, 0, 0, 0}, EPERM},
        {"clone(CLONE_NEWUSER)", 56, new long[] {0x10000000 | 17, 0, 0, 0, 0}, EPERM},
        {"clone(CLONE_NEWNS)", 56, new long[] {0x20000 | 17, 0, 0, 0, 0}, EPERM},
        {"clone(CLONE_NEWNET)", 56, new long[] {0x40000000 | 17, 0, 0, 0, 0}, EPERM},
        {"clone3", 435, new long[] {0, 0}, ENOSYS},
        {"unshare(CLONE_NEWUSER)", 272, new long[] {0x10000000}, EPERM},
        {"setns", 308, new long[] {-1, 0}, EPERM},
        {"mount", 165, new long[] {1, 1, 1, 0, 0}, EPERM},
        {"umount2", 166, new long[] {1, 0xffff}, EPERM},
        {"pivot_root", 155, new long[] {1, 1}, EPERM},
        {"chroot", 161, new long[] {1}, EPERM},
        {"open_tree", 428, new long[] {-1, 0, 0}, ENOSYS},
        {"move_mount", 429, new long[] {-1, 0, -1, 0, 0}, ENOSYS},
        {"fsopen", 430, new long[] {0, 0}, ENOSYS},
        {"fsmount", 432, new long[] {-1, 0, 0}, ENOSYS},
        {"mount_setattr", 442, new long[] {-1, 0, 0, 0, 0}, ENOSYS},
        {"open_by_handle_at", 304, new long[] {-1, 0, 0}, EPERM},
        {"name_to_handle_at", 303, new long[] {-1, 1, 0, 0, 0}, EPERM},
        {"bpf", 321, new long[] {-1, 0, 0}, EPERM},
        {"perf_event_open", 298, new long[] {0, 0, -1, -1, 0}, EPERM},
        {"userfaultfd", 323, new long[] {0}, EPERM},
        {"io_uring_setup", 425, new long[] {1, 0}, EPERM},
        {"io_uring_enter", 426, new long[] {-1, 0, 0, 0, 0, 0}, EPERM},
        {"io_uring_register", 427, new long[] {-1, 0, 0, 0}, EPERM},
        {"fanotify_init", 300, new long[] {0, 0}, EPERM},
        {"add_key", 248, new long[] {1, 1, 1, 0, 0}, EPERM},
        {"request_key", 249, new long[] {1, 1, 1, 0}, EPERM},
        {"keyctl", 250, new long[] {0, 0}, EPERM},
        {"modify_ldt", 154, new long[] {0, 0, 0}, EPERM},
        {"iopl", 172, new long[] {3}, EPERM},
        {"mbind", 237, new long[] {0, 0, 0, 0, 0, 0}, EPERM},
        {"set_mempolicy", 238, new long[] {0, 0, 0}, EPERM},
        {"migrate_pages", 256, new long[] {0x7fffffff, 0, 0, 0}, EPERM},
        {"move_pages", 279, new long[] {0x7fffffff, 0, 0, 0, 0, 0}, EPERM},
        {"init_module", 175, new long[] {0, 0, 0}, EPERM},
        {"finit_module", 313, new long[] {-1, 0, 0}, EPERM},
        {"kexec_load", 246, new long[] {0, 0, 0, 0}, EPERM},
        {"reboot", 169, new long[] {0, 0, 0, 0}, EPERM},
        {"swapon", 167, new long[] {1, 0}, EPERM},
        {"acct", 163, new long[] {1}, EPERM},
        {"quotactl", 179, new long[] {0, 1, 0, 0}, EPERM},
        {"syslog", 103, new long[] {10, 0, 0}, EPERM},
        {"settimeofday", 164, new long[] {1, 0}, EPERM},
        {"clock_settime", 227, new long[] {0, 1}, EPERM},
        {"clock_adjtime", 305, new long[] {0, 1}, EPERM},
        {"adjtimex", 159, new long[] {1}, EPERM},
        {"sethostname", 170, new long[] {1, 1}, EPERM},
        {"personality(READ_IMPLIES_EXEC)", 135, new long[] {0x0400000}, EPERM},
        {"personality(query)", 135, new long[] {0xffffffffL}, 0},
        {"ioctl(TIOCSTI)", 16, new long[] {0, 0x5412, 1}, EPERM},
        {"ioctl(TIOCLINUX)", 16, new long[] {0, 0x541C, 1}, EPERM},
        {"socket(AF_VSOCK)", 41, new long[] {40, 1, 0}, EAFNOSUPPORT},
        {"socket(AF_PACKET)", 41, new long[] {17, 3, 0}, EAFNOSUPPORT},
        {"socket(AF_NETLINK)", 41, new long[] {16, 3, 0}, EAFNOSUPPORT},
        {"socket(AF_INET)", 41, new long[] {2, 1, 0}, 0},
        {"socket(AF_UNIX)", 41, new long[] {1, 1, 0}, 0},
    };

    @Test
    @DisplayName("every blocked system call fails from Python in the jail with the filter's errno")
    void blockedCallsFail() throws Exception {
        StringBuilder calls = new StringBuilder();
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (Object[] call : CALLS) {
            StringBuilder args = new StringBuilder();
            for (long arg : (long[]) call[2]) {
                args.append(arg).append(',');
            }
            calls.append("    ('%s', %d, [%s]),\n".formatted(call[0], (int) call[1], args));
            expected.put((String) call[0], (Integer) call[3]);
        }
        RunResult result = executor.run(Jailed.request("""
                import ctypes, json, os
                libc = ctypes.CDLL(None, use_errno=True)
                libc.syscall.restype = ctypes.c_long
                me = os.getpid()
                results = {}
                for name, nr, args in [
                %s]:
                    ctypes.set_errno(0)
                    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
                    if os.getpid() != me:
                        os._exit(0)  # a clone that went through: its child leaves at once
                    results[name] = ctypes.get_errno() if r == -1 else 0
                print(json.dumps(results))
                """.formatted(calls)), RunId.random());
        assertEquals(Status.OK, result.status(), result.toString());
        Map<String, Integer> actual = new ObjectMapper().readValue(result.stdout(), new TypeReference<>() { });
        assertEquals(expected, actual);
    }

    @Test
    @DisplayName("threads, subprocesses and fork still work (glibc falls back from clone3 to clone)")
    void ordinaryProcessesStillWork() throws Exception {
        RunResult result = executor.run(Jailed.request("""
                import os, subprocess, threading
                t = threading.Thread(target=lambda: print('thread'))
                t.start(); t.join()
                print(subprocess.run(['/usr/bin/python3', '-c', 'print("child")'], capture_output=True).stdout.decode(), end='')
                pid = os.fork()
                if pid == 0:
                    os._exit(7)
                print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
                """), RunId.random());
        assertEquals("thread\nchild\n7\n", result.stdout(), result.toString());
    }

    @Test
    @DisplayName("an x32 system call kills the process")
    void x32AbiKills() throws Exception {
        RunResult result = executor.run(Jailed.request("""
                import ctypes
                ctypes.CDLL(None).syscall(ctypes.c_long(0x40000000 | 39))
                print('survived')
                """), RunId.random());
        assertEquals(Status.KILLED, result.status(), result.toString());
        assertEquals("SIGSYS", result.signal());
    }

    @Test
    @DisplayName("an i386 system call (int 0x80) kills the process")
    void i386AbiKills() throws Exception {
        RunResult result = executor.run(Jailed.request("""
                import ctypes, mmap
                code = bytes([0xb8, 0x14, 0, 0, 0, 0xcd, 0x80, 0xc3])  # mov eax, 20 (getpid); int 0x80; ret
                page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
                page.write(code)
                address = ctypes.addressof(ctypes.c_char.from_buffer(page))
                print(ctypes.CFUNCTYPE(ctypes.c_int)(address)())
                print('survived')
                """), RunId.random());
        assertEquals(Status.KILLED, result.status(), result.toString());
        assertEquals("SIGSYS", result.signal());
    }
}
