package dev.sandpod.local;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The seccomp filter every jail loads ({@code bwrap --seccomp FD}): a classic-BPF program, generated here so the
 * service needs no libseccomp.
 *
 * <p>It is a denylist in the spirit of Flatpak's and of what Docker's default profile withholds from a container
 * without capabilities: the namespace, mount, module, keyring, tracing and clock calls, and the kernel surfaces with
 * a long CVE history (bpf, io_uring, userfaultfd, perf_event_open). Everything else is allowed, so ordinary Python
 * (threads, subprocess, sockets on the jail's own loopback) keeps working. Blocked calls fail with {@code EPERM}, so
 * programs see a clean error; {@code clone3} fails with {@code ENOSYS} so that glibc falls back to {@code clone},
 * whose flags the filter can inspect (clone3 passes them in memory, out of BPF's reach), and the new mount API fails
 * with {@code ENOSYS} like in Flatpak. Socket families other than Unix, IPv4 and IPv6 fail with
 * {@code EAFNOSUPPORT}, which programs already handle as "not supported here".
 *
 * <p>Every jail sees the same inodes under {@code /usr} and {@code /dev} (read-only binds of the host's), and a file
 * lock or a file watch on a shared inode is seen by every other jail and by the host: two runs could talk through
 * {@code flock} on {@code os.py} or {@code /dev/null}, and a run could watch which files other runs or the host open.
 * So requests to lock a file or to be told about its use are acknowledged without effect: {@code flock} and the
 * {@code fcntl} lock-setting and {@code F_NOTIFY} commands return 0 and do nothing, and {@code inotify} fails with
 * {@code EPERM}. Since no jail then holds a real lock, {@code F_GETLK} finds every file unlocked, which keeps sqlite
 * (rollback journal and WAL) and {@code fcntl.lockf} working for the single program a jail runs; the one thing lost
 * is exclusion between the processes of one program, which is that program's own business.
 *
 * <p>The program first checks the architecture: x86_64 and aarch64 each get their own syscall numbers, and any
 * other architecture (the i386 {@code int 0x80} entry on an x86_64 host, for one) kills the process, as does the
 * x32 ABI ({@code nr & 0x40000000}), which would otherwise reach the same kernel code under other numbers.
 * Argument checks look at the low 32 bits only, which is what the kernel reads for an {@code int} or
 * {@code unsigned int} argument, so setting high bits cannot slip past a comparison.
 */
final class Seccomp {
    static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;

    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_ERRNO = 0x00050000;
    static final int RET_ALLOW = 0x7FFF0000;

    static final int EPERM = 1;
    static final int ENOSYS = 38;
    static final int EAFNOSUPPORT = 97;

    /** Offsets in {@code struct seccomp_data}; args are 64-bit, their low half comes first on little-endian hosts. */
    static final int OFFSET_NR = 0;
    static final int OFFSET_ARCH = 4;
    static final int OFFSET_ARGS = 16;

    private static final int X32_SYSCALL_BIT = 0x40000000;
    /** Every CLONE_NEW* flag: NEWTIME, NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
    static final int CLONE_NEW_ANY = 0x7E020080;
    static final int TIOCSTI = 0x5412;
    static final int TIOCLINUX = 0x541C;
    /** fcntl commands that take a lock or register for notifications: F_SETLK(W), F_OFD_SETLK(W), F_NOTIFY. */
    static final List<Integer> FCNTL_LOCK_OR_NOTIFY = List.of(6, 7, 37, 38, 1026);
    /** "errno 0": the kernel returns 0 without running the call. */
    static final int IGNORED = 0;
    /** personality() values that are plain Linux (and the 0xffffffff query); READ_IMPLIES_EXEC and friends are out. */
    private static final List<Integer> SAFE_PERSONALITIES = List.of(0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF);
    private static final List<Integer> ALLOWED_SOCKET_FAMILIES = List.of(1 /* AF_UNIX */, 2 /* AF_INET */, 10 /* AF_INET6 */);

    /** A system call and its number on each supported architecture; -1 where the architecture lacks it. */
    record Syscall(String name, int x86_64, int aarch64) {
        int number(int auditArch) {
            return auditArch == AUDIT_ARCH_X86_64 ? x86_64 : aarch64;
        }
    }

    /** What the filter does with one system call. */
    sealed interface Rule {
        Syscall call();
    }

    /** Always fails with {@code errno}. */
    record Deny(Syscall call, int errno) implements Rule {
    }

    /** Fails with {@code errno} when any bit of {@code mask} is set in the argument. */
    record DenyIfAnyBit(Syscall call, int arg, int mask, int errno) implements Rule {
    }

    /** Fails with {@code errno} when the argument is one of {@code values}. */
    record DenyValues(Syscall call, int arg, List<Integer> values, int errno) implements Rule {
    }

    /** Fails with {@code errno} unless the argument is one of {@code values}. */
    record AllowOnly(Syscall call, int arg, List<Integer> values, int errno) implements Rule {
    }

    static final List<Rule> RULES = List.of(
            // tracing and other processes' memory
            new Deny(new Syscall("ptrace", 101, 117), EPERM),
            new Deny(new Syscall("process_vm_readv", 310, 270), EPERM),
            new Deny(new Syscall("process_vm_writev", 311, 271), EPERM),
            new Deny(new Syscall("process_madvise", 440, 440), EPERM),
            new Deny(new Syscall("pidfd_getfd", 438, 438), EPERM),
            new Deny(new Syscall("kcmp", 312, 272), EPERM),
            // namespaces: no new ones, no joining others
            new DenyIfAnyBit(new Syscall("clone", 56, 220), 0, CLONE_NEW_ANY, EPERM),
            new Deny(new Syscall("clone3", 435, 435), ENOSYS),
            new Deny(new Syscall("unshare", 272, 97), EPERM),
            new Deny(new Syscall("setns", 308, 268), EPERM),
            // mounts, old and new API
            new Deny(new Syscall("mount", 165, 40), EPERM),
            new Deny(new Syscall("umount2", 166, 39), EPERM),
            new Deny(new Syscall("pivot_root", 155, 41), EPERM),
            new Deny(new Syscall("chroot", 161, 51), EPERM),
            new Deny(new Syscall("open_tree", 428, 428), ENOSYS),
            new Deny(new Syscall("move_mount", 429, 429), ENOSYS),
            new Deny(new Syscall("fsopen", 430, 430), ENOSYS),
            new Deny(new Syscall("fsconfig", 431, 431), ENOSYS),
            new Deny(new Syscall("fsmount", 432, 432), ENOSYS),
            new Deny(new Syscall("fspick", 433, 433), ENOSYS),
            new Deny(new Syscall("mount_setattr", 442, 442), ENOSYS),
            new Deny(new Syscall("statmount", 457, 457), ENOSYS),
            new Deny(new Syscall("listmount", 458, 458), ENOSYS),
            // file handles bypass path permission checks (the "shocker" escape)
            new Deny(new Syscall("open_by_handle_at", 304, 265), EPERM),
            new Deny(new Syscall("name_to_handle_at", 303, 264), EPERM),
            // kernel attack surface without a use in a Python sandbox
            new Deny(new Syscall("bpf", 321, 280), EPERM),
            new Deny(new Syscall("perf_event_open", 298, 241), EPERM),
            new Deny(new Syscall("userfaultfd", 323, 282), EPERM),
            new Deny(new Syscall("io_uring_setup", 425, 425), EPERM),
            new Deny(new Syscall("io_uring_enter", 426, 426), EPERM),
            new Deny(new Syscall("io_uring_register", 427, 427), EPERM),
            new Deny(new Syscall("fanotify_init", 300, 262), EPERM),
            new Deny(new Syscall("add_key", 248, 217), EPERM),
            new Deny(new Syscall("request_key", 249, 218), EPERM),
            new Deny(new Syscall("keyctl", 250, 219), EPERM),
            new Deny(new Syscall("lookup_dcookie", 212, 18), EPERM),
            new Deny(new Syscall("modify_ldt", 154, -1), EPERM),
            new Deny(new Syscall("iopl", 172, -1), EPERM),
            new Deny(new Syscall("ioperm", 173, -1), EPERM),
            new Deny(new Syscall("uselib", 134, -1), EPERM),
            new Deny(new Syscall("ustat", 136, -1), EPERM),
            new Deny(new Syscall("sysfs", 139, -1), EPERM),
            new Deny(new Syscall("_sysctl", 156, -1), EPERM),
            new Deny(new Syscall("nfsservctl", 180, 42), EPERM),
            // NUMA policy: moving or pinning pages is a host-wide lever (Docker requires CAP_SYS_NICE)
            new Deny(new Syscall("mbind", 237, 235), EPERM),
            new Deny(new Syscall("set_mempolicy", 238, 237), EPERM),
            new Deny(new Syscall("migrate_pages", 256, 238), EPERM),
            new Deny(new Syscall("move_pages", 279, 239), EPERM),
            new Deny(new Syscall("set_mempolicy_home_node", 450, 450), EPERM),
            // modules, kexec, machine state
            new Deny(new Syscall("init_module", 175, 105), EPERM),
            new Deny(new Syscall("finit_module", 313, 273), EPERM),
            new Deny(new Syscall("delete_module", 176, 106), EPERM),
            new Deny(new Syscall("create_module", 174, -1), EPERM),
            new Deny(new Syscall("get_kernel_syms", 177, -1), EPERM),
            new Deny(new Syscall("query_module", 178, -1), EPERM),
            new Deny(new Syscall("kexec_load", 246, 104), EPERM),
            new Deny(new Syscall("kexec_file_load", 320, 294), EPERM),
            new Deny(new Syscall("reboot", 169, 142), EPERM),
            new Deny(new Syscall("swapon", 167, 224), EPERM),
            new Deny(new Syscall("swapoff", 168, 225), EPERM),
            new Deny(new Syscall("acct", 163, 89), EPERM),
            new Deny(new Syscall("quotactl", 179, 60), EPERM),
            new Deny(new Syscall("quotactl_fd", 443, 443), EPERM),
            new Deny(new Syscall("syslog", 103, 116), EPERM),
            new Deny(new Syscall("vhangup", 153, 58), EPERM),
            new Deny(new Syscall("settimeofday", 164, 170), EPERM),
            new Deny(new Syscall("clock_settime", 227, 112), EPERM),
            new Deny(new Syscall("clock_adjtime", 305, 266), EPERM),
            new Deny(new Syscall("adjtimex", 159, 171), EPERM),
            new Deny(new Syscall("sethostname", 170, 161), EPERM),
            new Deny(new Syscall("setdomainname", 171, 162), EPERM),
            // argument checks
            new AllowOnly(new Syscall("personality", 135, 92), 0, SAFE_PERSONALITIES, EPERM),
            new DenyValues(new Syscall("ioctl", 16, 29), 1, List.of(TIOCSTI, TIOCLINUX), EPERM),
            new AllowOnly(new Syscall("socket", 41, 198), 0, ALLOWED_SOCKET_FAMILIES, EAFNOSUPPORT),
            // locks and watches on inodes that every jail shares (see the class comment)
            new Deny(new Syscall("flock", 73, 32), IGNORED),
            new DenyValues(new Syscall("fcntl", 72, 25), 1, FCNTL_LOCK_OR_NOTIFY, IGNORED),
            new Deny(new Syscall("inotify_init", 253, -1), EPERM),
            new Deny(new Syscall("inotify_init1", 294, 26), EPERM),
            new Deny(new Syscall("inotify_add_watch", 254, 27), EPERM));

    private static final byte[] PROGRAM = encode(assemble());

    private Seccomp() {
    }

    /** The filter as {@code struct sock_filter[]} in the host's byte order, what {@code bwrap --seccomp} reads. */
    static byte[] program() {
        return PROGRAM.clone();
    }

    /** Why this host cannot load the filter, or null when it can. */
    static String unsupportedReason() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
            return "the seccomp filter knows x86_64 and aarch64 only, not " + arch;
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return "the seccomp filter assumes a little-endian host";
        }
        return null;
    }

    private static List<Insn> assemble() {
        Assembler asm = new Assembler();
        Assembler.Label x86 = asm.label();
        Assembler.Label arm = asm.label();
        asm.load(OFFSET_ARCH);
        Assembler.Label notX86 = asm.label();
        asm.jeq(AUDIT_ARCH_X86_64, null, notX86);
        asm.ja(x86);
        asm.bind(notX86);
        Assembler.Label foreign = asm.label();
        asm.jeq(AUDIT_ARCH_AARCH64, null, foreign);
        asm.ja(arm);
        asm.bind(foreign);
        asm.ret(RET_KILL_PROCESS);

        asm.bind(x86);
        asm.load(OFFSET_NR);
        Assembler.Label native64 = asm.label();
        Assembler.Label x32 = asm.label();
        asm.jge(X32_SYSCALL_BIT, null, native64);
        // -1 is no call at all (the kernel answers ENOSYS), not an x32 one
        asm.jeq(0xFFFFFFFF, native64, x32);
        asm.bind(x32);
        asm.ret(RET_KILL_PROCESS);
        asm.bind(native64);
        rules(asm, AUDIT_ARCH_X86_64);

        asm.bind(arm);
        asm.load(OFFSET_NR);
        rules(asm, AUDIT_ARCH_AARCH64);
        return asm.resolve();
    }

    /** One block per rule; each leaves A holding the syscall number when its call does not match. */
    private static void rules(Assembler asm, int auditArch) {
        for (Rule rule : RULES) {
            int nr = rule.call().number(auditArch);
            if (nr < 0) {
                continue;
            }
            Assembler.Label next = asm.label();
            asm.jeq(nr, null, next);
            switch (rule) {
                case Deny deny -> asm.ret(RET_ERRNO | deny.errno());
                case DenyIfAnyBit bits -> {
                    Assembler.Label allow = asm.label();
                    asm.load(argLow(bits.arg()));
                    asm.jset(bits.mask(), null, allow);
                    asm.ret(RET_ERRNO | bits.errno());
                    asm.bind(allow);
                    asm.ret(RET_ALLOW);
                }
                case DenyValues deny -> oneOf(asm, deny.arg(), deny.values(), RET_ERRNO | deny.errno(), RET_ALLOW);
                case AllowOnly allow -> oneOf(asm, allow.arg(), allow.values(), RET_ALLOW, RET_ERRNO | allow.errno());
            }
            asm.bind(next);
        }
        asm.ret(RET_ALLOW);
    }

    /** Returns {@code ifOneOf} when argument {@code arg} is one of {@code values}, and {@code otherwise} when not. */
    private static void oneOf(Assembler asm, int arg, List<Integer> values, int ifOneOf, int otherwise) {
        Assembler.Label match = asm.label();
        asm.load(argLow(arg));
        for (int value : values) {
            asm.jeq(value, match, null);
        }
        asm.ret(otherwise);
        asm.bind(match);
        asm.ret(ifOneOf);
    }

    private static int argLow(int arg) {
        return OFFSET_ARGS + 8 * arg;
    }

    private static byte[] encode(List<Insn> program) {
        ByteBuffer buffer = ByteBuffer.allocate(program.size() * Insn.BYTES).order(ByteOrder.nativeOrder());
        for (Insn insn : program) {
            buffer.putShort(insn.code()).put((byte) insn.jt()).put((byte) insn.jf()).putInt(insn.k());
        }
        return buffer.array();
    }

    /** One {@code struct sock_filter}: opcode, jump-if-true and jump-if-false offsets, constant. */
    record Insn(short code, int jt, int jf, int k) {
        static final int BYTES = 8;
        static final short LD_W_ABS = 0x20;
        static final short JMP_JA = 0x05;
        static final short JMP_JEQ_K = 0x15;
        static final short JMP_JGE_K = 0x35;
        static final short JMP_JSET_K = 0x45;
        static final short RET_K = 0x06;
    }

    /** Forward-only jumps to labels, resolved once the whole program is known; a jump out of range fails the build. */
    private static final class Assembler {
        private final List<Pending> pending = new ArrayList<>();

        static final class Label {
            private int pc = -1;
        }

        private record Pending(short code, Label jt, Label jf, int k) {
        }

        Label label() {
            return new Label();
        }

        void bind(Label label) {
            label.pc = pending.size();
        }

        void load(int offset) {
            emit(Insn.LD_W_ABS, null, null, offset);
        }

        void jeq(int k, Label ifTrue, Label ifFalse) {
            emit(Insn.JMP_JEQ_K, ifTrue, ifFalse, k);
        }

        void jge(int k, Label ifTrue, Label ifFalse) {
            emit(Insn.JMP_JGE_K, ifTrue, ifFalse, k);
        }

        void jset(int k, Label ifTrue, Label ifFalse) {
            emit(Insn.JMP_JSET_K, ifTrue, ifFalse, k);
        }

        void ja(Label target) {
            emit(Insn.JMP_JA, target, null, 0);
        }

        void ret(int action) {
            emit(Insn.RET_K, null, null, action);
        }

        private void emit(short code, Label jt, Label jf, int k) {
            pending.add(new Pending(code, jt, jf, k));
        }

        List<Insn> resolve() {
            List<Insn> program = new ArrayList<>(pending.size());
            for (int pc = 0; pc < pending.size(); pc++) {
                Pending p = pending.get(pc);
                if (p.code() == Insn.JMP_JA) {
                    program.add(new Insn(p.code(), 0, 0, offset(pc, p.jt(), Integer.MAX_VALUE)));
                } else {
                    program.add(new Insn(p.code(), offset(pc, p.jt(), 255), offset(pc, p.jf(), 255), p.k()));
                }
            }
            if (program.size() > 4096) {
                throw new IllegalStateException("seccomp program over BPF_MAXINSNS: " + program.size());
            }
            return program;
        }

        private static int offset(int pc, Label target, int max) {
            if (target == null) {
                return 0;
            }
            int offset = target.pc - pc - 1;
            if (target.pc < 0 || offset < 0 || offset > max) {
                throw new IllegalStateException("seccomp jump out of range at " + pc + ": " + offset);
            }
            return offset;
        }
    }
}
