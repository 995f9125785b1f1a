package org.opencmg.plugins.content;

import org.opencmg.api.PluginContext;
import org.pf4j.Plugin;

/**
 * The role-content plugin's life: at start it loads the catalog and makes its signing keys (so the
 * first device to ask does not wait for that); at stop it ends the Azure client's threads.
 */
public final class ContentPlugin extends Plugin {

    private final PluginContext context;

    public ContentPlugin(PluginContext context) {
        this.context = context;
    }

    @Override
    public void start() {
        Content.of(context); // made now: it loads the catalog and makes the keys as it is made
    }

    @Override
    public void stop() {
        Content.of(context).close();
    }
}
