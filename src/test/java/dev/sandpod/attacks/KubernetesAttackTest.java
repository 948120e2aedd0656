package dev.sandpod.attacks;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attacks a pod itself must hold, through the Kubernetes backend: the HTTP API, the executor, the fabric8 mock API
 * server and its kubelet emulator, which runs each pod's command for real. What the cluster enforces around the pod
 * (cgroup memory limits, seccomp RuntimeDefault, the NetworkPolicy, PSS restricted) cannot run here; the Kubernetes
 * package's {@code PodSpecsTest} and {@code FailureMappingTest} check the pod spec that asks for it and the mapping
 * of what the kubelet reports (OOMKilled, DeadlineExceeded).
 */
@DisplayName("Attacks through the Kubernetes backend end safely and leave no pod or process behind")
class KubernetesAttackTest {
    @RegisterExtension
    static final SandpodUnderAttack SANDPOD = SandpodUnderAttack.kubernetes();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.ResourceAttacks#processLimits")
    @DisplayName("Time, output, process and file limits hold inside a pod")
    void podLimitsHold(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.IntegrityAttacks#all")
    @DisplayName("A program in a pod cannot change its reported result or read its judge's expectations")
    void resultCannotBeForged(Attack attack) {
        SANDPOD.assertSafe(attack);
    }
}
