package dev.sandpod.kube;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a sandbox's process on this host the way a container runtime would, as far as tests need: as root, in new PID
 * and mount namespaces (the process is PID 1, so the runner's final {@code kill(-1)} stays inside) under the given
 * UID/GID with no capabilities and no_new_privs; otherwise as a plain subprocess. The environment holds only what it is
 * given plus PATH, and stderr is merged into stdout, as in a pod's log.
 */
final class SandboxProcess {
    static final String PYTHON = "/usr/bin/python3";
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private SandboxProcess() {
    }

    static Process start(List<String> argv, Map<String, String> env, Path workingDir, long uid, long gid) throws IOException {
        List<String> command = new ArrayList<>();
        if (ROOT) {
            command.addAll(List.of("unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                    "setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--no-new-privs",
                    "--inh-caps=-all", "--bounding-set=-all", "--"));
        }
        command.addAll(argv);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(workingDir.toFile());
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        return process;
    }

    /** Kills the process and everything it started. */
    static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
