package dev.sandpod.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Dockerfile's key rules, in the spirit of hadolint (which no registry here ships): the build
 * can't run without a Docker engine, so these read the file and check it against the chart and the pom.
 */
final class DockerfileTest {
    private static final Dockerfile DOCKERFILE = Dockerfile.read();
    /** The poller mode on bin/serve's java command line (the reason is in bin/serve). */
    private static final String SERVE_POLLER_MODE = servePollerMode();
    private static final Pattern FROM = Pattern.compile("(?<image>\\S+)(\\s+AS\\s+(?<stage>\\S+))?", Pattern.CASE_INSENSITIVE);
    /** An exact release tag (a version with at least major.minor.patch) or a digest. */
    private static final Pattern PINNED = Pattern.compile("[^:@]+(:[^:@]*\\d+\\.\\d+\\.\\d+[^:@]*)?(@sha256:[0-9a-f]{64})?");

    @Test
    void buildsInOneStageAndShipsAnother() {
        List<Dockerfile.Instruction> froms = DOCKERFILE.all("FROM");
        assertTrue(froms.size() >= 2, "multi-stage: " + froms);
        String build = from(froms.get(0)).group("stage");
        assertEquals("build", build);
        List<Dockerfile.Instruction> runtime = DOCKERFILE.finalStage();
        assertTrue(runtime.stream()
                        .anyMatch(i -> i.keyword().equals("COPY") && i.arguments().startsWith("--from=" + build + " ")),
                   "the runtime stage copies the build's output");
        assertTrue(runtime.stream().noneMatch(i -> i.keyword().equals("RUN") && i.arguments().contains("mvn")),
                   "no build tools in the runtime stage");
    }

    @Test
    void pinsEveryBaseImageToAnExactRelease() {
        for (Dockerfile.Instruction instruction : DOCKERFILE.all("FROM")) {
            String image = from(instruction).group("image");
            assertFalse(image.contains("$"), () -> "a base image from a build argument can't be checked: " + image);
            assertFalse(image.endsWith(":latest") || !image.contains(":") && !image.contains("@"), () -> "unpinned: " + image);
            Matcher pinned = PINNED.matcher(image);
            assertTrue(pinned.matches() && (pinned.group(1) != null || pinned.group(2) != null),
                       () -> "not an exact release or digest: " + image);
        }
    }

    @Test
    void runsAsTheNonRootNumericUserTheChartDeclares() {
        String user = DOCKERFILE.finalStage().stream().filter(i -> i.keyword().equals("USER")).toList().getLast().arguments();
        assertTrue(user.matches("\\d+:\\d+"), () -> "USER must be numeric uid:gid so that runAsNonRoot can check it: " + user);
        String[] ids = user.split(":");
        assertNotEquals("0", ids[0]);
        PodSecurityContext chart = deployment().getSecurityContext();
        assertEquals(Long.parseLong(ids[0]), chart.getRunAsUser());
        assertEquals(Long.parseLong(ids[1]), chart.getRunAsGroup());
    }

    @Test
    void exposesTheServicePort() {
        assertEquals(List.of(String.valueOf(ConfigYaml.bundled().number("server.port"))),
                     DOCKERFILE.all("EXPOSE").stream().map(Dockerfile.Instruction::arguments).toList());
    }

    private static String servePollerMode() {
        try {
            Matcher mode = Pattern.compile("exec \"\\$\\{JAVA_HOME}/bin/java\" (-Djdk\\.pollerMode=\\d)")
                    .matcher(java.nio.file.Files.readString(java.nio.file.Path.of("bin/serve")));
            assertTrue(mode.find(), "bin/serve starts java with a -Djdk.pollerMode");
            return mode.group(1);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void startsTheJarWithContainerAwareJvmFlags() {
        List<String> entrypoint = execForm(DOCKERFILE.all("ENTRYPOINT").getLast());
        assertEquals("java", entrypoint.getFirst());
        assertTrue(entrypoint.stream().anyMatch(flag -> flag.startsWith("-XX:MaxRAMPercentage=")), entrypoint::toString);
        assertTrue(entrypoint.contains("-XX:+ExitOnOutOfMemoryError"), entrypoint::toString);
        assertTrue(entrypoint.contains(SERVE_POLLER_MODE), "the image schedules the service as bin/serve does: "
                + entrypoint);
        assertEquals(List.of("-jar", "/app/sandpod.jar"), entrypoint.subList(entrypoint.size() - 2, entrypoint.size()));
    }

    @Test
    void shipsTheJarAndLibsWhereTheManifestClasspathExpectsThem() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(pom.contains("<finalName>sandpod</finalName>") && pom.contains("<classpathPrefix>libs</classpathPrefix>"),
                   "the pom builds target/sandpod.jar with its classpath in libs/");
        List<String> copies = DOCKERFILE.finalStage().stream().filter(i -> i.keyword().equals("COPY"))
                .map(Dockerfile.Instruction::arguments).toList();
        assertTrue(copies.contains("--from=build /src/target/sandpod.jar /app/sandpod.jar"), copies::toString);
        assertTrue(copies.contains("--from=build /src/target/libs/ /app/libs/"), copies::toString);
    }

    @Test
    void writesOnlyWhereTheChartMountsAnEmptyDir() {
        String tmpdir = execForm(DOCKERFILE.all("ENTRYPOINT").getLast()).stream()
                .filter(flag -> flag.startsWith("-Djava.io.tmpdir=")).findFirst().orElseThrow()
                .substring("-Djava.io.tmpdir=".length());
        PodSpec pod = deployment();
        String volume = pod.getContainers().get(0).getVolumeMounts().stream().filter(m -> m.getMountPath().equals(tmpdir))
                .findFirst().orElseThrow(() -> new AssertionError("the chart mounts nothing at " + tmpdir)).getName();
        assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getName().equals(volume) && v.getEmptyDir() != null));
        assertEquals(true, pod.getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem());
    }

    @Test
    void labelsTheImageTheOciWay() {
        String labels = String.join(" ", DOCKERFILE.finalStage().stream().filter(i -> i.keyword().equals("LABEL"))
                .map(Dockerfile.Instruction::arguments).toList());
        for (String key : List.of("title", "description", "version", "revision")) {
            assertTrue(labels.contains("org.opencontainers.image." + key + "="), key);
        }
    }

    @Test
    void avoidsHadolintsCommonFindings() {
        // DL3020 ADD for local files, DL3004 sudo, DL3003 cd in RUN, DL3000 relative WORKDIR, DL3025 shell-form ENTRYPOINT.
        assertEquals(List.of(), DOCKERFILE.all("ADD"));
        DOCKERFILE.all("RUN").forEach(run -> {
            assertFalse(run.arguments().matches(".*\\bsudo\\b.*"), run.arguments());
            assertFalse(run.arguments().matches("(^|.*[;&|]\\s*)cd\\s.*"), run.arguments());
        });
        DOCKERFILE.all("WORKDIR").forEach(workdir -> assertTrue(workdir.arguments().startsWith("/"), workdir.arguments()));
        DOCKERFILE.all("ENTRYPOINT").forEach(DockerfileTest::execForm);
    }

    private static Matcher from(Dockerfile.Instruction instruction) {
        Matcher matcher = FROM.matcher(instruction.arguments());
        assertTrue(matcher.matches(), instruction.arguments());
        return matcher;
    }

    private static List<String> execForm(Dockerfile.Instruction instruction) {
        assertTrue(instruction.arguments().startsWith("["), () -> "exec form (a JSON array) gets signals: " + instruction);
        JsonNode array = new JsonMapper().readTree(instruction.arguments());
        return array.valueStream().map(JsonNode::asString).toList();
    }

    private static PodSpec deployment() {
        return Helm.defaultRender().one(Deployment.class).getSpec().getTemplate().getSpec();
    }
}
