package dev.sandpod.attacks;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attacks that depend on how the job reaches the runner, again with the warm pool off: a cold jail gets its job
 * through a host file the service writes and deletes, where a warm one reads a pipe. Each cold run is exactly what the
 * service falls back to when the pool is empty.
 */
@DisplayName("Attacks on the cold path (no warm pool) end safely and leave the host clean")
class ColdPathAttackTest {
    @RegisterExtension
    static final SandpodUnderAttack SANDPOD = SandpodUnderAttack.localCold();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.IntegrityAttacks#all")
    @DisplayName("A program cannot change its reported result or read its judge's expectations")
    void resultCannotBeForged(Attack attack) {
        SANDPOD.assertSafe(attack);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.sandpod.attacks.FilesystemAttacks#all")
    @DisplayName("The host's files, the job's among them, stay unchanged and unfollowed")
    void hostFilesStayUnchanged(Attack attack) {
        SANDPOD.assertSafe(attack);
    }
}
