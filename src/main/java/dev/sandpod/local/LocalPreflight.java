package dev.sandpod.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The start-up checks of the local backend that need no jail: each failure names the missing piece and how to
 * get it, for the log and {@code /health/ready}. The trial run that follows them ({@link LocalExecutor#create})
 * proves the rest end to end.
 */
final class LocalPreflight {
    private LocalPreflight() {
    }

    /** Why this host cannot run jails, or null when nothing is missing. */
    static String hostReason(LocalConfig config) {
        String seccomp = Seccomp.unsupportedReason();
        if (seccomp != null) {
            return seccomp;
        }
        if (!Files.isExecutable(config.bwrap())) {
            return "bwrap not found at " + config.bwrap() + ": apt-get install bubblewrap";
        }
        if (!Files.isExecutable(config.python())) {
            return "python not found at " + config.python() + ": apt-get install python3";
        }
        try {
            if (!config.python().toRealPath().startsWith("/usr/")) {
                return "python at " + config.python() + " resolves outside /usr, the only host tree a jail sees;"
                        + " set sandpod.local.python to a python3 under /usr";
            }
        } catch (IOException e) {
            return "python at " + config.python() + " cannot be resolved: " + e.getMessage();
        }
        if (!Files.isExecutable(Path.of(BwrapCommand.SH))) {
            return BwrapCommand.SH + " not found";
        }
        try {
            if (Jails.isRoot() && !Files.isExecutable(Jails.SETPRIV)) {
                return "setpriv not found at " + Jails.SETPRIV + " (needed to run jails as an unprivileged uid when"
                        + " the service is root): apt-get install util-linux";
            }
        } catch (IOException e) {
            return "cannot tell the service's uid: " + e.getMessage();
        }
        return userNamespaceReason();
    }

    private static String userNamespaceReason() {
        if ("0".equals(sysctl("user/max_user_namespaces"))) {
            return "user namespaces are disabled: sysctl -w user.max_user_namespaces=10000";
        }
        if ("0".equals(sysctl("kernel/unprivileged_userns_clone"))) {
            return "unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1";
        }
        if ("1".equals(sysctl("kernel/apparmor_restrict_unprivileged_userns"))) {
            return "AppArmor restricts unprivileged user namespaces: sysctl -w"
                    + " kernel.apparmor_restrict_unprivileged_userns=0, or give bwrap an AppArmor profile that allows"
                    + " userns";
        }
        return null;
    }

    private static String sysctl(String name) {
        Path path = Path.of("/proc/sys", name);
        try {
            return Files.exists(path) ? Files.readString(path).trim() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
