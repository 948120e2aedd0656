package dev.sandpod.attacks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** SECURITY.md names, for each control, the tests that prove it; this keeps those names true as the code moves. */
class SecurityDocumentTest {
    private static final Path DOCUMENT = Path.of("SECURITY.md");
    private static final Path TESTS = Path.of("src/test/java");
    private static final Pattern TEST_METHOD = Pattern.compile("`([A-Z]\\w*)#(\\w+)`");
    private static final Pattern ATTACK_NAME = Pattern.compile("\\[([^\\]]+)\\](?!\\()");

    @Test
    @DisplayName("every Class#method that SECURITY.md cites is a test method that exists")
    void citedTestsExist() throws IOException {
        String document = Files.readString(DOCUMENT);
        Map<String, Path> sources = testSources();
        Set<String> missing = new TreeSet<>();
        Matcher cited = TEST_METHOD.matcher(document);
        int count = 0;
        while (cited.find()) {
            count++;
            Path source = sources.get(cited.group(1));
            if (source == null || !Pattern.compile("void " + cited.group(2) + "\\(").matcher(Files.readString(source))
                    .find()) {
                missing.add(cited.group());
            }
        }
        assertFalse(count == 0, "SECURITY.md cites no test");
        assertEquals(Set.of(), missing, "SECURITY.md cites tests that do not exist");
    }

    @Test
    @DisplayName("every attack that SECURITY.md cites in square brackets is an attack of the suite")
    void citedAttacksExist() throws IOException {
        Set<String> attacks = Stream.of(ResourceAttacks.all(), HostViewAttacks.all(), NetworkAttacks.all(),
                        FilesystemAttacks.all(), KernelAttacks.all(), IntegrityAttacks.all())
                .flatMap(List::stream).map(Attack::name).collect(Collectors.toCollection(TreeSet::new));
        CrossRunAttacks.channels().forEach(channel -> attacks.add(channel.name()));
        Set<String> unknown = new TreeSet<>();
        Matcher cited = ATTACK_NAME.matcher(Files.readString(DOCUMENT));
        while (cited.find()) {
            if (!attacks.contains(cited.group(1))) {
                unknown.add(cited.group(1));
            }
        }
        assertEquals(Set.of(), unknown, "SECURITY.md cites attacks the suite does not have");
    }

    private static Map<String, Path> testSources() throws IOException {
        try (Stream<Path> files = Files.walk(TESTS)) {
            List<Path> sources = new ArrayList<>(files.filter(path -> path.toString().endsWith(".java")).toList());
            return sources.stream().collect(Collectors.toMap(
                    path -> path.getFileName().toString().replace(".java", ""), Function.identity()));
        }
    }
}
