package dev.sandpod.e2e;

import java.util.Map;

import dev.sandpod.TestServers;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The shipped service on the local backend, real bubblewrap jails, for one test class: started before its first test
 * and stopped after its last. Register it with {@code @RegisterExtension static final LocalService SERVICE}.
 */
final class LocalService implements BeforeAllCallback, AfterAllCallback {
    private final Map<String, String> env;
    private Service service;

    LocalService() {
        this(Map.of());
    }

    /** @param env environment variables on top of the local backend's */
    LocalService(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("SANDPOD_BACKEND", "local");
        service = Service.start(all, TestServers::backend);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        service.close();
    }

    Service get() {
        return service;
    }
}
