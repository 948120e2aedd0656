package dev.sandpod.kube;

import java.util.Map;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

/** Reads what a sandbox pod's status says about its run; pure functions of a pod that is never modified. */
final class PodState {
    static final String DEADLINE_EXCEEDED = "DeadlineExceeded";
    static final String OOM_KILLED = "OOMKilled";

    /** Waiting reasons after which the container will never start on its own, with the detail the client gets. */
    private static final Map<String, String> START_FAILURES = Map.of(
            "ErrImagePull", "the sandbox image could not be pulled (ErrImagePull)",
            "ImagePullBackOff", "the sandbox image could not be pulled (ImagePullBackOff)",
            "InvalidImageName", "the sandbox image name is invalid (InvalidImageName)",
            "CreateContainerConfigError", "the sandbox container could not be configured (CreateContainerConfigError)",
            "CreateContainerError", "the sandbox container could not be created (CreateContainerError)",
            "RunContainerError", "the sandbox container could not be started (RunContainerError)");

    private PodState() {
    }

    /** The pod has run to its end: Succeeded, Failed, or its container has terminated. */
    static boolean finished(Pod pod) {
        String phase = phase(pod);
        return "Succeeded".equals(phase) || "Failed".equals(phase) || terminated(pod).isPresent();
    }

    /** The pod's run is over: it finished, or it can never start. */
    static boolean ended(Pod pod) {
        return finished(pod) || startFailure(pod).isPresent();
    }

    /** Why the container will never start, as a client-safe detail, or empty while it still may. */
    static Optional<String> startFailure(Pod pod) {
        return containerStatus(pod)
                .map(ContainerStatus::getState)
                .map(ContainerState::getWaiting)
                .map(waiting -> START_FAILURES.get(waiting.getReason()));
    }

    /** No container of the pod has started yet (scheduling, image pull, container creation). */
    static boolean pending(Pod pod) {
        String phase = phase(pod);
        return phase == null || "Pending".equals(phase);
    }

    static Optional<ContainerStateTerminated> terminated(Pod pod) {
        return containerStatus(pod)
                .map(ContainerStatus::getState)
                .map(ContainerState::getTerminated);
    }

    /** The kubelet killed the pod at {@code activeDeadlineSeconds}. */
    static boolean deadlineExceeded(Pod pod) {
        return pod.getStatus() != null && DEADLINE_EXCEEDED.equals(pod.getStatus().getReason());
    }

    static boolean oomKilled(Pod pod) {
        return terminated(pod).map(ContainerStateTerminated::getReason).filter(OOM_KILLED::equals).isPresent();
    }

    /** The container got as far as running the runner, so a missing result is the program's doing rather than the node's. */
    static boolean containerStarted(Pod pod) {
        return terminated(pod).map(ContainerStateTerminated::getStartedAt).isPresent()
                || containerStatus(pod).map(ContainerStatus::getState).map(ContainerState::getRunning).isPresent();
    }

    private static String phase(Pod pod) {
        PodStatus status = pod.getStatus();
        return status == null ? null : status.getPhase();
    }

    private static Optional<ContainerStatus> containerStatus(Pod pod) {
        PodStatus status = pod.getStatus();
        if (status == null || status.getContainerStatuses() == null) {
            return Optional.empty();
        }
        return status.getContainerStatuses().stream()
                .filter(container -> PodSpecs.CONTAINER.equals(container.getName()))
                .findFirst();
    }
}
