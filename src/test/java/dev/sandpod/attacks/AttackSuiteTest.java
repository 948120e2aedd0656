package dev.sandpod.attacks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The attack suite: real programs sent through the HTTP API to the real local backend, each with its safe outcome.
 * After every attack, {@link SandpodUnderAttack} checks the host fixtures and the host invariants and runs a
 * hello world, so an attack that leaves anything behind fails even when its own outcome looked right.
 */
@DisplayName("Attacks through the HTTP API end safely and leave the host clean")
class AttackSuiteTest {
    @RegisterExtension
    static final SandpodUnderAttack SANDPOD = SandpodUnderAttack.local();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.ResourceAttacks#all")
    @DisplayName("Resource exhaustion ends in its own status")
    void resourceExhaustionEndsInItsStatus(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.HostViewAttacks#all")
    @DisplayName("The host's secrets and processes stay out of sight and reach")
    void hostSecretsAndProcessesStayHidden(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.NetworkAttacks#all")
    @DisplayName("Nothing outside the jail is reachable over the network")
    void networkIsUnreachable(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.FilesystemAttacks#all")
    @DisplayName("The host's files stay unchanged and unfollowed")
    void hostFilesStayUnchanged(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.KernelAttacks#all")
    @DisplayName("The kernel's risky interfaces are refused")
    void kernelSurfaceIsRefused(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.IntegrityAttacks#all")
    @DisplayName("A program cannot change its reported result or break the answer's encoding")
    void resultCannotBeForged(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.CrossRunAttacks#channels")
    @DisplayName("Two concurrent runs cannot talk")
    void concurrentRunsCannotTalk(CrossRunAttacks.Channel channel) {
        List<CompletableFuture<Answer>> runs = new ArrayList<>();
        for (String role : List.of("A", "B")) {
            runs.add(CompletableFuture.supplyAsync(() -> SANDPOD.post(Map.of("code", channel.code(),
                    "args", List.of(role), "timeoutMs", CrossRunAttacks.TIMEOUT_MS))));
        }
        List<double[]> windows = new ArrayList<>();
        for (Answer answer : runs.stream().map(CompletableFuture::join).toList()) {
            assertEquals("ok", answer.status(), answer::describe);
            String[] words = answer.stdout().strip().split(" ");
            switch (words[0]) {
                case "refused" -> {
                    // the jail does not offer the call: this run cannot use the channel at all
                }
                case "claimed" -> windows.add(new double[] {Double.parseDouble(words[1]), Double.parseDouble(words[2])});
                default -> fail("the other run was seen through " + channel + ": " + answer.describe());
            }
        }
        if (windows.size() < 2) {
            return;
        }
        double lastStart = Math.max(windows.get(0)[0], windows.get(1)[0]);
        double firstEnd = Math.min(windows.get(0)[1], windows.get(1)[1]);
        assertTrue(lastStart < firstEnd, "the two runs must hold their claims at the same time for the test to"
                + " prove anything; they held them at " + List.of(windows.get(0), windows.get(1)).stream()
                .map(java.util.Arrays::toString).toList());
    }

    @Test
    @DisplayName("What one run leaves in /tmp, /dev/shm, its working directory, SysV IPC or a daemon, the next can't see")
    void leftoversOfOneRunAreInvisibleToTheNext() {
        Answer first = SANDPOD.post(Map.of("code", CrossRunAttacks.LEAVE_BEHIND));
        assertEquals("ok", first.status(), first::describe);
        assertEquals("True True True\n", first.stdout(), first::describe);
        Answer next = SANDPOD.post(Map.of("code", CrossRunAttacks.LOOK_FOR_LEFTOVERS));
        assertEquals("ok", next.status(), next::describe);
        assertEquals("found []\n", next.stdout(), next::describe);
    }
}
