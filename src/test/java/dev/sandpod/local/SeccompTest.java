package dev.sandpod.local;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static dev.sandpod.local.Seccomp.AUDIT_ARCH_AARCH64;
import static dev.sandpod.local.Seccomp.AUDIT_ARCH_X86_64;
import static dev.sandpod.local.Seccomp.EAFNOSUPPORT;
import static dev.sandpod.local.Seccomp.ENOSYS;
import static dev.sandpod.local.Seccomp.EPERM;
import static dev.sandpod.local.Seccomp.RET_ALLOW;
import static dev.sandpod.local.Seccomp.RET_ERRNO;
import static dev.sandpod.local.Seccomp.RET_KILL_PROCESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Decodes the generated BPF and runs it through a small interpreter of the opcodes the kernel would execute. */
class SeccompTest {
    private static final int AUDIT_ARCH_I386 = 0x40000003;
    private static final int AUDIT_ARCH_ARM = 0x40000028;
    private static final int PERM = RET_ERRNO | EPERM;

    @Test
    @DisplayName("every instruction is a known opcode, every jump lands inside the program, it ends in a return")
    void programIsWellFormed() {
        byte[] program = Seccomp.program();
        assertEquals(0, program.length % 8);
        int count = program.length / 8;
        assertTrue(count > 0 && count <= 4096, "length " + count);
        ByteBuffer buffer = ByteBuffer.wrap(program).order(ByteOrder.nativeOrder());
        for (int pc = 0; pc < count; pc++) {
            short code = buffer.getShort(pc * 8);
            int jt = Byte.toUnsignedInt(buffer.get(pc * 8 + 2));
            int jf = Byte.toUnsignedInt(buffer.get(pc * 8 + 3));
            int k = buffer.getInt(pc * 8 + 4);
            switch (code) {
                case 0x20 -> assertTrue(k >= 0 && k < 64 && k % 4 == 0, "load offset " + k + " at " + pc);
                case 0x15, 0x35, 0x45 -> assertTrue(pc + 1 + Math.max(jt, jf) < count, "jump out at " + pc);
                case 0x05 -> assertTrue(pc + 1 + k < count, "ja out at " + pc);
                case 0x06 -> { }
                default -> fail("unexpected opcode " + code + " at " + pc);
            }
        }
        assertEquals(0x06, buffer.getShort((count - 1) * 8), "last instruction must return");
    }

    @Test
    void deniesTheListedCallsOnX8664() {
        // numbers from arch/x86/entry/syscalls/syscall_64.tbl, independent of the table in Seccomp
        int[][] expected = {
            {101, PERM}, {165, PERM}, {166, PERM}, {155, PERM}, {161, PERM}, {321, PERM}, {250, PERM}, {248, PERM},
            {249, PERM}, {298, PERM}, {323, PERM}, {425, PERM}, {426, PERM}, {427, PERM}, {272, PERM}, {308, PERM},
            {246, PERM}, {320, PERM}, {175, PERM}, {313, PERM}, {176, PERM}, {304, PERM}, {303, PERM}, {163, PERM},
            {167, PERM}, {168, PERM}, {169, PERM}, {164, PERM}, {227, PERM}, {305, PERM}, {159, PERM}, {170, PERM},
            {171, PERM}, {103, PERM}, {179, PERM}, {212, PERM}, {153, PERM}, {279, PERM}, {256, PERM}, {237, PERM},
            {310, PERM}, {311, PERM}, {312, PERM}, {300, PERM}, {180, PERM}, {154, PERM}, {172, PERM}, {173, PERM},
            {435, RET_ERRNO | ENOSYS}, {430, RET_ERRNO | ENOSYS}, {428, RET_ERRNO | ENOSYS},
        };
        for (int[] call : expected) {
            assertEquals(call[1], run(AUDIT_ARCH_X86_64, call[0]), "x86_64 syscall " + call[0]);
        }
    }

    @Test
    void deniesTheListedCallsOnAarch64() {
        // numbers from include/uapi/asm-generic/unistd.h
        int[][] expected = {
            {117, PERM}, {40, PERM}, {39, PERM}, {41, PERM}, {51, PERM}, {280, PERM}, {219, PERM}, {217, PERM},
            {218, PERM}, {241, PERM}, {282, PERM}, {425, PERM}, {426, PERM}, {427, PERM}, {97, PERM}, {268, PERM},
            {104, PERM}, {294, PERM}, {105, PERM}, {273, PERM}, {106, PERM}, {265, PERM}, {264, PERM}, {89, PERM},
            {142, PERM}, {112, PERM}, {266, PERM}, {171, PERM}, {161, PERM}, {116, PERM}, {270, PERM}, {271, PERM},
            {435, RET_ERRNO | ENOSYS},
        };
        for (int[] call : expected) {
            assertEquals(call[1], run(AUDIT_ARCH_AARCH64, call[0]), "aarch64 syscall " + call[0]);
        }
    }

    @Test
    void allowsOrdinaryCalls() {
        // read, write, openat, futex, mmap, exit_group, wait4 on x86_64; read, write, openat, futex on aarch64
        for (int nr : new int[] {0, 1, 257, 202, 9, 231, 61, 39}) {
            assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, nr), "x86_64 syscall " + nr);
        }
        for (int nr : new int[] {63, 64, 56, 98, 222, 94}) {
            assertEquals(RET_ALLOW, run(AUDIT_ARCH_AARCH64, nr), "aarch64 syscall " + nr);
        }
    }

    @Test
    @DisplayName("clone for a thread or a fork passes, clone with any CLONE_NEW* flag fails")
    void cloneNamespaceFlagsDenied() {
        long thread = 0x3D0F00L;
        long fork = 0x01200011L;
        assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, 56, thread));
        assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, 56, fork));
        assertEquals(RET_ALLOW, run(AUDIT_ARCH_AARCH64, 220, fork));
        for (long flag : new long[] {0x80, 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                                     0x40000000}) {
            assertEquals(PERM, run(AUDIT_ARCH_X86_64, 56, fork | flag), "flag " + Long.toHexString(flag));
            assertEquals(PERM, run(AUDIT_ARCH_AARCH64, 220, fork | flag), "flag " + Long.toHexString(flag));
        }
    }

    @Test
    @DisplayName("ioctl TIOCSTI and TIOCLINUX fail even with high bits set in the request; other ioctls pass")
    void ttyInjectionIoctlsDenied() {
        assertEquals(PERM, run(AUDIT_ARCH_X86_64, 16, 0, 0x5412));
        assertEquals(PERM, run(AUDIT_ARCH_X86_64, 16, 0, 0xFFFFFFFF00005412L));
        assertEquals(PERM, run(AUDIT_ARCH_X86_64, 16, 0, 0x541C));
        assertEquals(PERM, run(AUDIT_ARCH_AARCH64, 29, 0, 0x5412));
        assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, 16, 0, 0x5401));
    }

    @Test
    void personalityOnlyPlainLinux() {
        assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, 135, 0));
        assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, 135, 0xFFFFFFFFL));
        assertEquals(PERM, run(AUDIT_ARCH_X86_64, 135, 0x0400000));
        assertEquals(PERM, run(AUDIT_ARCH_X86_64, 135, 0x0040000));
        assertEquals(PERM, run(AUDIT_ARCH_AARCH64, 92, 0x0400000));
    }

    @Test
    @DisplayName("sockets: Unix, IPv4 and IPv6 only; vsock, packet, netlink fail with EAFNOSUPPORT")
    void socketFamilies() {
        for (long family : new long[] {1, 2, 10}) {
            assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, 41, family));
            assertEquals(RET_ALLOW, run(AUDIT_ARCH_AARCH64, 198, family));
        }
        for (long family : new long[] {40, 17, 16, 3, 0x100000028L}) {
            assertEquals(RET_ERRNO | EAFNOSUPPORT, run(AUDIT_ARCH_X86_64, 41, family), "family " + family);
            assertEquals(RET_ERRNO | EAFNOSUPPORT, run(AUDIT_ARCH_AARCH64, 198, family), "family " + family);
        }
    }

    @Test
    @DisplayName("flock and the fcntl lock and F_NOTIFY commands return 0 without effect; F_GETLK and inotify as said")
    void sharedInodeLocksAndWatchesIgnored() {
        int ignored = RET_ERRNO;
        assertEquals(ignored, run(AUDIT_ARCH_X86_64, 73, 3, 2));
        assertEquals(ignored, run(AUDIT_ARCH_AARCH64, 32, 3, 2));
        for (long command : new long[] {6, 7, 37, 38, 1026, 0xFFFFFFFF00000006L}) {
            assertEquals(ignored, run(AUDIT_ARCH_X86_64, 72, 3, command), "fcntl " + command);
            assertEquals(ignored, run(AUDIT_ARCH_AARCH64, 25, 3, command), "fcntl " + command);
        }
        for (long command : new long[] {0, 1, 2, 3, 4, 5, 36, 1024, 1030}) {
            assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, 72, 3, command), "fcntl " + command);
        }
        for (int nr : new int[] {253, 294, 254}) {
            assertEquals(PERM, run(AUDIT_ARCH_X86_64, nr), "x86_64 syscall " + nr);
        }
        assertEquals(PERM, run(AUDIT_ARCH_AARCH64, 26));
        assertEquals(PERM, run(AUDIT_ARCH_AARCH64, 27));
    }

    @Test
    @DisplayName("the x32 ABI and foreign architectures kill the process; nr -1 is left to the kernel")
    void foreignAbisKill() {
        assertEquals(RET_KILL_PROCESS, run(AUDIT_ARCH_X86_64, 0x40000000 | 39));
        assertEquals(RET_KILL_PROCESS, run(AUDIT_ARCH_X86_64, 0x40000000 | 101));
        assertEquals(RET_KILL_PROCESS, run(AUDIT_ARCH_I386, 20));
        assertEquals(RET_KILL_PROCESS, run(AUDIT_ARCH_ARM, 20));
        assertEquals(RET_ALLOW, run(AUDIT_ARCH_X86_64, -1));
    }

    /** Runs the filter over one {@code struct seccomp_data}, as the kernel would, and returns the action. */
    private static int run(int arch, int nr, long... args) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, arch);
        for (int i = 0; i < args.length; i++) {
            data.putLong(16 + 8 * i, args[i]);
        }
        ByteBuffer program = ByteBuffer.wrap(Seccomp.program()).order(ByteOrder.nativeOrder());
        int count = program.capacity() / 8;
        int a = 0;
        for (int pc = 0, steps = 0; steps <= count; steps++) {
            if (pc >= count) {
                fail("ran off the end of the program");
            }
            short code = program.getShort(pc * 8);
            int jt = Byte.toUnsignedInt(program.get(pc * 8 + 2));
            int jf = Byte.toUnsignedInt(program.get(pc * 8 + 3));
            int k = program.getInt(pc * 8 + 4);
            pc++;
            switch (code) {
                case 0x20 -> a = data.getInt(k);
                case 0x05 -> pc += k;
                case 0x15 -> pc += a == k ? jt : jf;
                case 0x35 -> pc += Integer.compareUnsigned(a, k) >= 0 ? jt : jf;
                case 0x45 -> pc += (a & k) != 0 ? jt : jf;
                case 0x06 -> {
                    return k;
                }
                default -> fail("unexpected opcode " + code);
            }
        }
        return fail("no return within " + count + " steps: the program loops");
    }
}
