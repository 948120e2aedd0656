package dev.sandpod.kube;

import java.util.List;
import java.util.Optional;

import dev.sandpod.run.OutputFile;
import dev.sandpod.run.RunId;
import dev.sandpod.run.RunResult;
import dev.sandpod.run.Status;
import dev.sandpod.run.TestOutcome;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A result kept in a pod's annotation reads back as the very result the replica running the run answered. */
class StoredResultTest {
    private static final RunId ID = RunId.random();

    @Test
    @DisplayName("every field of a result, judged tests and out/ files among them, survives the annotation")
    void resultsReadBackFieldForField() {
        RunResult judged = new RunResult(ID.value(), Status.RUNTIME_ERROR, 1, null, "a\n", "b\n", "a\nb\n", true, 12, 3,
                9120, KubernetesExecutor.NAME, "why", List.of(new TestOutcome(0, "wrong_answer", Status.OK, "2\n", "", 5)),
                "wrong_answer", List.of(), true);
        RunResult withFiles = new RunResult(ID.value(), Status.OK, 0, null, "", "", "", false, 1, 1, 1,
                KubernetesExecutor.NAME, null, List.of(), null, List.of(new OutputFile("out/a.txt", 2, "text/plain", "aGk=")),
                false);
        RunResult cancelled = PodResults.cancelled(ID, 40);
        for (RunResult result : List.of(judged, withFiles, cancelled)) {
            assertEquals(Optional.of(result), StoredResult.read(StoredResult.of(result).orElseThrow(), ID,
                    KubernetesExecutor.NAME));
        }
    }

    @Test
    @DisplayName("a result larger than the annotation's share is not kept there: it stays in the pod's log")
    void largeResultsStayInTheLog() {
        String big = "x".repeat(StoredResult.MAX_BYTES);
        RunResult result = new RunResult(ID.value(), Status.OK, 0, null, big, "", big, false, 1, 1, 1,
                KubernetesExecutor.NAME, null, List.of(), null, List.of(), false);
        assertEquals(Optional.empty(), StoredResult.of(result));
    }
}
