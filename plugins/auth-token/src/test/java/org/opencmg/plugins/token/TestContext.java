package org.opencmg.plugins.token;

import org.opencmg.testkit.PluginTestContext;

/** This plugin's test context: the shared kit with its plugin id. */
final class TestContext extends PluginTestContext {

    TestContext() {
        super("auth-token");
    }
}
