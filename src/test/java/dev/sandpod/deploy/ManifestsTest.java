package dev.sandpod.deploy;

import java.util.List;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The strict parser that every render and every k8s/ file goes through really is strict. */
final class ManifestsTest {
    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                    - name: web
                      image: web:1.0.0
                      securityContext:
                        %s
            """;

    @Test
    void parsesKnownFieldsIntoTypedObjects() {
        Manifests manifests = Manifests.parse("# a comment\n---\n" + DEPLOYMENT.formatted("runAsNonRoot: true"));
        assertEquals(List.of("Deployment web"), List.copyOf(manifests.identities()));
        assertEquals(true, manifests.one(Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0)
                .getSecurityContext().getRunAsNonRoot());
    }

    @Test
    void refusesAMisspeltFieldDeepInside() {
        AssertionError error = assertThrows(AssertionError.class,
                                             () -> Manifests.parse(DEPLOYMENT.formatted("runAsNonroot: true")));
        assertTrue(error.getMessage().contains("spec.template.spec.containers[0].securityContext.runAsNonroot"),
                   error.getMessage());
    }

    @Test
    void refusesAKindWithNoTypedModel() {
        assertThrows(AssertionError.class, () -> Manifests.parse("""
                apiVersion: example.com/v1
                kind: Widget
                metadata:
                  name: w
                """));
    }
}
