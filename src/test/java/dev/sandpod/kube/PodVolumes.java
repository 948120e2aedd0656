package dev.sandpod.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapVolumeSource;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * A pod's volumes laid out on this host, as a kubelet lays them out for its container: an emptyDir is a fresh directory
 * any UID may write, a configMap volume a directory of the ConfigMap's keys as files, read from the API server, with the
 * volume's {@code defaultMode}. Other volume types are refused, since no sandbox pod may have them.
 */
final class PodVolumes implements AutoCloseable {
    private final Map<String, Path> hostDirByMountPath;

    /** A configMap volume names a ConfigMap the API server does not have. */
    static final class MissingConfigMapException extends IOException {
        MissingConfigMapException(String configMap) {
            super("configMap " + configMap + " not found");
        }
    }

    private PodVolumes(Map<String, Path> hostDirByMountPath) {
        this.hostDirByMountPath = hostDirByMountPath;
    }

    static PodVolumes lay(KubernetesClient client, Pod pod) throws IOException {
        Container container = pod.getSpec().getContainers().getFirst();
        Map<String, Path> dirs = new LinkedHashMap<>();
        try {
            for (VolumeMount mount : container.getVolumeMounts()) {
                Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                        .findFirst().orElseThrow(() -> new IllegalStateException("no volume " + mount.getName()));
                dirs.put(mount.getMountPath(), volume.getConfigMap() != null
                        ? configMap(client, pod.getMetadata().getNamespace(), volume.getConfigMap())
                        : emptyDir(volume));
            }
        } catch (IOException | RuntimeException e) {
            new PodVolumes(dirs).close();
            throw e;
        }
        return new PodVolumes(dirs);
    }

    /** The host directory behind the container path {@code mountPath}. */
    Path hostDir(String mountPath) {
        Path dir = hostDirByMountPath.get(mountPath);
        if (dir == null) {
            throw new IllegalArgumentException("nothing is mounted at " + mountPath);
        }
        return dir;
    }

    /** A container path as it is on this host: below a mount, it moves to the mount's directory; else it stays. */
    String onHost(String containerPath) {
        for (Map.Entry<String, Path> mount : hostDirByMountPath.entrySet()) {
            String path = mount.getKey();
            if (containerPath.equals(path) || containerPath.startsWith(path + "/")) {
                return mount.getValue() + containerPath.substring(path.length());
            }
        }
        return containerPath;
    }

    @Override
    public void close() {
        for (Path dir : new ArrayList<>(hostDirByMountPath.values())) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static Path emptyDir(Volume volume) throws IOException {
        if (volume.getEmptyDir() == null) {
            throw new IllegalStateException("volume " + volume.getName() + " is neither an emptyDir nor a configMap");
        }
        return directory("rwxrwxrwx");
    }

    /** A missing ConfigMap cannot be mounted: a kubelet keeps the container in ContainerCreating meanwhile. */
    private static Path configMap(KubernetesClient client, String namespace, ConfigMapVolumeSource source) throws IOException {
        ConfigMap configMap = client.configMaps().inNamespace(namespace).withName(source.getName()).get();
        if (configMap == null) {
            throw new MissingConfigMapException(namespace + "/" + source.getName());
        }
        Path dir = directory("rwxr-xr-x"); // only this process writes it: the sandbox's UID is another
        for (Map.Entry<String, String> entry : configMap.getData().entrySet()) {
            Path file = Files.writeString(dir.resolve(entry.getKey()), entry.getValue(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, permissions(source.getDefaultMode()));
        }
        return dir;
    }

    private static Path directory(String permissions) throws IOException {
        Path dir = Files.createTempDirectory("sandpod-volume-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(permissions));
        return dir;
    }

    /** A Kubernetes file mode (0644 when unset, as the API server defaults it) as POSIX permissions. */
    private static Set<PosixFilePermission> permissions(Integer mode) {
        int bits = mode == null ? 0644 : mode;
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        for (int bit = 0; bit < order.length; bit++) {
            if ((bits & (1 << bit)) != 0) {
                permissions.add(order[bit]);
            }
        }
        return permissions;
    }
}
