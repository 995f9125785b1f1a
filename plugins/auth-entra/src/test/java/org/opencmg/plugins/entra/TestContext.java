package org.opencmg.plugins.entra;

import java.time.Instant;
import org.opencmg.testkit.PluginTestContext;

/** The plugin's context in unit tests: the shared kit, with a setter for this plugin's settings. */
final class TestContext extends PluginTestContext {

    TestContext() {
        super("auth-entra");
        clock.set(Instant.parse("2030-01-01T10:00:00Z"));
    }

    /** Sets {@code plugins.auth-entra.NAME}; null removes it (back to its default). */
    TestContext set(String name, String value) {
        if (value == null) {
            settings.remove("plugins.auth-entra." + name);
        } else {
            settings.put("plugins.auth-entra." + name, value);
        }
        return this;
    }
}
