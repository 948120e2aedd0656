package dev.sandpod.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The v2 layout and logic against a fake tree of plain files (this machine's kind runs v1). */
class CgroupsV2Test {
    @TempDir
    Path tmp;
    private Path mount;
    private Path service;
    private String mountinfo;

    @BeforeEach
    void fakeUnifiedHierarchy() throws IOException {
        mount = Files.createDirectories(tmp.resolve("cgroup"));
        service = Files.createDirectories(mount.resolve("system.slice/sandpod.service"));
        Files.writeString(service.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        Files.writeString(service.resolve("cgroup.subtree_control"), "\n");
        Path parent = Files.createDirectories(service.resolve("sandpod"));
        Files.writeString(parent.resolve("memory.swap.max"), "max\n");
        Files.writeString(parent.resolve("cgroup.kill"), "");
        mountinfo = "25 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
                + "35 25 0:30 / " + mount + " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
    }

    private Cgroups open(String parent) throws IOException {
        return Cgroups.open("auto", parent, mountinfo, "0::/system.slice/sandpod.service\n");
    }

    @Test
    @DisplayName("a cgroup2 mount offering memory, pids and cpu is v2, with the parent below the service's own cgroup")
    void detectsV2BelowOwnCgroup() throws IOException {
        Cgroups cgroups = open("sandpod");
        assertEquals(Cgroups.Version.V2, cgroups.version());
        RunCgroup run = cgroups.create("jail-1", 160 << 20, 72);
        assertEquals(List.of(service.resolve("sandpod/jail-1/cgroup.procs")), run.procsFiles());
    }

    @Test
    @DisplayName("the jails' parent weighs as much against the service's cgroup as asked")
    void parentIsWeighed() throws IOException {
        open("sandpod").weigh(16);
        assertEquals("1600", Files.readString(service.resolve("sandpod/cpu.weight")));
    }

    @Test
    @DisplayName("controllers are enabled for the children of the service's cgroup and of the parent")
    void enablesControllersDownToTheParent() throws IOException {
        open("sandpod");
        assertEquals("+memory +pids +cpu", Files.readString(service.resolve("cgroup.subtree_control")));
        assertEquals("+memory +pids +cpu", Files.readString(service.resolve("sandpod/cgroup.subtree_control")));
    }

    @Test
    void runLimits() throws IOException {
        open("sandpod").create("jail-1", 160 << 20, 72);
        Path run = service.resolve("sandpod/jail-1");
        assertEquals("167772160", Files.readString(run.resolve("memory.max")));
        assertEquals("0", Files.readString(run.resolve("memory.swap.max")), "no swap beyond the memory limit");
        assertEquals("72", Files.readString(run.resolve("pids.max")));
        assertEquals("100000 100000", Files.readString(run.resolve("cpu.max")), "one CPU");
    }

    @Test
    void countersAreReadFromTheV2Files() throws IOException {
        RunCgroup run = open("sandpod").create("jail-1", 160 << 20, 72);
        Path dir = service.resolve("sandpod/jail-1");
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n");
        Files.writeString(dir.resolve("memory.peak"), "52428800\n");
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\n");
        assertEquals(2, run.oomKills());
        assertEquals(51200, run.peakMemoryKb());
        assertEquals(2500, run.cpuMs());
        assertEquals(new BwrapCommand.OomCounter(dir.resolve("memory.events"), "/sys/fs/cgroup/memory.events"),
                run.oomCounter());
    }

    @Test
    @DisplayName("destroy kills through cgroup.kill (a plain directory with files then refuses the rmdir)")
    void destroyWritesCgroupKill() throws IOException {
        RunCgroup run = open("sandpod").create("jail-1", 160 << 20, 72);
        Files.writeString(service.resolve("sandpod/jail-1/cgroup.procs"), "");
        assertFalse(run.destroy(Duration.ofSeconds(1)));
        assertEquals("1", Files.readString(service.resolve("sandpod/jail-1/cgroup.kill")));
    }

    @Test
    void absoluteParentStartsAtTheRoot() throws IOException {
        Files.writeString(mount.resolve("cgroup.controllers"), "cpu memory pids\n");
        open("/sandpod-runs").create("jail-1", 1 << 20, 1);
        assertTrue(Files.isDirectory(mount.resolve("sandpod-runs/jail-1")));
    }

    @Test
    @DisplayName("a hybrid host's empty cgroup2 is not usable: v1 is chosen where the controllers are")
    void hybridHostIsV1() throws IOException {
        Files.writeString(service.resolve("cgroup.controllers"), "\n");
        StringBuilder v1 = new StringBuilder(mountinfo);
        for (String controller : List.of("memory", "pids", "cpu", "cpuacct")) {
            Path dir = Files.createDirectories(tmp.resolve("v1/" + controller));
            v1.append("40 25 0:4 / ").append(dir).append(" rw,relatime - cgroup cgroup rw,").append(controller)
                    .append('\n');
        }
        Cgroups cgroups = Cgroups.open("auto", "sandpod", v1.toString(), "4:memory:/\n0::/system.slice/sandpod.service\n");
        assertEquals(Cgroups.Version.V1, cgroups.version());
        IOException v2 = assertThrows(IOException.class,
                () -> Cgroups.open("v2", "sandpod", v1.toString(), "0::/system.slice/sandpod.service\n"));
        assertTrue(v2.getMessage().startsWith("no usable cgroup v2"), v2.getMessage());
    }

    @Test
    @DisplayName("inside a container the mount's root is the container's cgroup: paths below it are relative to it")
    void mountRootIsStripped() {
        Cgroups.Mount mount = new Cgroups.Mount("/docker/abc", Path.of("/sys/fs/cgroup"), "cgroup2", java.util.Set.of());
        assertEquals(Path.of("/sys/fs/cgroup/app"), mount.dirOf("/docker/abc/app"));
        assertEquals(Path.of("/sys/fs/cgroup"), mount.dirOf("/"));
    }

    @Test
    void rejectsParentsThatClimb() {
        assertThrows(IllegalArgumentException.class, () -> open("../escape"));
    }
}
