package dev.sandpod.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The images/ Dockerfiles build what the bundled config says of each runtime: its base image and its pinned packages. */
final class RuntimeImagesTest {
    private static final Path IMAGES = Path.of("images");
    private static final Pattern PIN = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*==[^\\s\\\\]+)");

    @Test
    void everyRuntimeImageStartsFromTheDefaultImage() throws IOException {
        String image = ConfigYaml.bundled().text("sandpod.kubernetes.image");
        for (String runtime : List.of("python", "python-scientific")) {
            assertEquals("FROM " + image, from(dockerfile(runtime)), runtime);
        }
    }

    @Test
    void scientificImageInstallsThePackagesTheConfigLists() throws IOException {
        JsonNode listed = ConfigYaml.bundled().at("sandpod.kubernetes.runtimes.python-scientific.packages");
        String install = dockerfile("python-scientific").lines().dropWhile(line -> !line.startsWith("RUN pip install"))
                .takeWhile(line -> !line.isBlank()).reduce("", (a, b) -> a + " " + b);
        Matcher pins = PIN.matcher(install);
        List<String> installed = pins.results().map(match -> match.group(1)).toList();
        assertEquals(listed.valueStream().map(JsonNode::asString).toList(), installed);
    }

    private static String dockerfile(String runtime) throws IOException {
        return Files.readString(IMAGES.resolve(runtime).resolve("Dockerfile"));
    }

    private static String from(String dockerfile) {
        return dockerfile.lines().filter(line -> line.startsWith("FROM ")).findFirst().orElse("");
    }
}
