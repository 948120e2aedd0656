package dev.sandpod.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A container's process as the emulated kubelet starts it on this host. As root (CI), it gets what a container runtime
 * gives: a memory cgroup with the container's limit (cgroup v1), mounted over {@code /sys/fs/cgroup/memory} in a new
 * mount namespace as a runtime does, so the runner reads its own OOM counter; a new PID namespace in which it is PID 1;
 * the pod's UID/GID with no capabilities and no_new_privs. Not as root, it is a plain subprocess with none of that.
 * Its environment holds only what it is given plus PATH, and stderr is merged into stdout, as in a pod's log.
 */
final class SandboxProcess implements AutoCloseable {
    static final String PYTHON = "/usr/bin/python3";
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    private static final Path MEMORY_CGROUPS = Path.of("/sys/fs/cgroup/memory");
    private static final Path EMULATOR_CGROUP = MEMORY_CGROUPS.resolve("sandpod-kubelet-emulator");
    /** Joins the cgroup; in new PID and mount namespaces mounts it where a container sees its own; drops to the pod's user. */
    private static final String ENTER = "echo $$ > \"$1/cgroup.procs\" && exec unshare --pid --fork --kill-child --mount-proc"
            + " sh -c 'mount --bind \"$1\" " + MEMORY_CGROUPS + " && shift && exec \"$@\"' sh \"$@\"";

    private final Process process;
    private final Path cgroup;

    private SandboxProcess(Process process, Path cgroup) {
        this.process = process;
        this.cgroup = cgroup;
    }

    /**
     * @param name  unique among running sandboxes; names the cgroup
     * @param stdin written to the process, whose stdin then closes
     */
    static SandboxProcess start(String name, List<String> argv, Map<String, String> env, Path workingDir, long uid, long gid,
                                long memoryBytes, byte[] stdin) throws IOException {
        List<String> command = new ArrayList<>();
        Path cgroup = null;
        if (ROOT) {
            cgroup = Files.createDirectories(EMULATOR_CGROUP.resolve(name));
            Files.writeString(cgroup.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
            command.addAll(List.of("sh", "-c", ENTER, "sh", cgroup.toString(),
                    "setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--no-new-privs",
                    "--inh-caps=-all", "--bounding-set=-all", "--"));
        }
        command.addAll(argv);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(workingDir.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        builder.environment().putAll(env);
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(stdin);
        }
        return new SandboxProcess(process, cgroup);
    }

    Process process() {
        return process;
    }

    /** The kernel's OOM killer struck inside this sandbox's memory cgroup. */
    boolean oomKilled() throws IOException {
        if (cgroup == null) {
            return false;
        }
        return Files.readAllLines(cgroup.resolve("memory.oom_control")).stream()
                .anyMatch(line -> line.startsWith("oom_kill ") && !line.equals("oom_kill 0"));
    }

    /** Kills the process and everything it started; as PID 1 of its namespace, the runner takes the rest with it. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        kill();
        process.waitFor(10, TimeUnit.SECONDS);
        if (cgroup != null) {
            for (int attempt = 0; attempt < 100 && Files.exists(cgroup); attempt++) {
                try {
                    Files.delete(cgroup); // rmdir; fails while a dying task is still charged to it
                } catch (IOException busy) {
                    Thread.sleep(10);
                }
            }
        }
    }
}
