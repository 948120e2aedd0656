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
    private Service service;

    @Override
    public void beforeAll(ExtensionContext context) {
        service = Service.start(Map.of("SANDPOD_BACKEND", "local"), TestServers::backend);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        service.close();
    }

    Service get() {
        return service;
    }
}
