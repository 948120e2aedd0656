package dev.sandpod.access;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeysTest {
    private static final String ALICE = "sk-alice-0123456789abcdef";
    private static final String BOB = "sk-bob-fedcba9876543210";

    @Test
    @DisplayName("a key file's keys map to their ids; comments, blank lines and surrounding space are skipped")
    void keysMapToTheirIds() {
        ApiKeys keys = ApiKeys.parse(List.of("# team keys", "", "alice:" + ALICE, "  bob:" + BOB + "  "));
        assertEquals(2, keys.size());
        assertEquals(Optional.of("alice"), keys.idOf(ALICE));
        assertEquals(Optional.of("bob"), keys.idOf(BOB));
        assertEquals(Optional.empty(), keys.idOf(ALICE.substring(0, ALICE.length() - 1) + "0"));
        assertEquals(Optional.empty(), keys.idOf("alice"));
        assertEquals(Optional.empty(), keys.idOf(""));
    }

    @Test
    @DisplayName("a broken key file is refused with its line number, and the refusal never quotes a key")
    void brokenFilesAreRefusedWithoutTheKey() {
        List<List<String>> broken = List.of(
                List.of("alice:" + ALICE, "bob " + BOB),
                List.of("alice:short"),
                List.of("alice:" + ALICE, "alice:" + BOB),
                List.of("alice:" + ALICE, "bob:" + ALICE),
                List.of("al ice:" + ALICE),
                List.of("alice:" + ALICE + " trailing"),
                List.of("# nothing but comments", ""));
        for (List<String> lines : broken) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> ApiKeys.parse(lines));
            assertFalse(refused.getMessage().contains(ALICE) || refused.getMessage().contains(BOB), refused.getMessage());
            assertTrue(refused.getMessage().startsWith("line ") || refused.getMessage().contains("no key"),
                    refused.getMessage());
        }
    }

    @Test
    @DisplayName("a changed key file takes effect without a restart, and a broken one leaves the keys read before")
    void fileIsReloaded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, "alice:" + ALICE + "\n");
        try (KeyFile keys = KeyFile.watch(file, Duration.ofHours(1))) {
            assertEquals(Optional.of("alice"), keys.keys().idOf(ALICE));
            // as a Secret volume updates: a new file renamed over the old one
            Path next = dir.resolve("keys.next");
            Files.writeString(next, "bob:" + BOB + "\n");
            Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            keys.reload();
            assertEquals(Optional.of("bob"), keys.keys().idOf(BOB));
            assertEquals(Optional.empty(), keys.keys().idOf(ALICE));
            Files.writeString(file, "bob " + BOB + "\n");
            keys.reload();
            assertEquals(Optional.of("bob"), keys.keys().idOf(BOB));
            Files.delete(file);
            keys.reload();
            assertEquals(Optional.of("bob"), keys.keys().idOf(BOB));
        }
    }

    @Test
    @DisplayName("the reload runs by itself at the interval configured")
    void reloadIsScheduled(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, "alice:" + ALICE + "\n");
        try (KeyFile keys = KeyFile.watch(file, Duration.ofMillis(20))) {
            Files.writeString(file, "alice:" + ALICE + "\nbob:" + BOB + "\n");
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (keys.keys().idOf(BOB).isEmpty() && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertEquals(Optional.of("bob"), keys.keys().idOf(BOB));
        }
    }

    @Test
    @DisplayName("a key file that cannot be read or holds no valid key fails at start")
    void badFileFailsAtStart(@TempDir Path dir) throws Exception {
        assertThrows(IllegalStateException.class, () -> KeyFile.watch(dir.resolve("absent"), Duration.ofSeconds(1)));
        Path file = Files.writeString(dir.resolve("keys"), "alice\n");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> KeyFile.watch(file, Duration.ofSeconds(1)));
        assertTrue(refused.getMessage().contains(file.toString()) && refused.getMessage().contains("line 1"),
                refused.getMessage());
    }
}
