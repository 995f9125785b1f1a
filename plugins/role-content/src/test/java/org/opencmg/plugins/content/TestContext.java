package org.opencmg.plugins.content;

import org.opencmg.testkit.PluginTestContext;

/** This plugin's test context: the shared kit with its plugin id. */
final class TestContext extends PluginTestContext {

    TestContext() {
        super("role-content");
    }
}
