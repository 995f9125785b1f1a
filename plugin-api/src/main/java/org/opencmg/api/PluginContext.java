package org.opencmg.api;

import java.time.Clock;

/**
 * What the gateway gives a plugin. An extension class receives it through a public constructor
 * taking a single {@code PluginContext}; a no-argument constructor is used otherwise.
 */
public interface PluginContext {

    String pluginId();

    Settings settings();

    /** The current client-certificate trust snapshot; cheap to call on every request. */
    ClientTrust clientTrust();

    AuditLog audit();

    /** This plugin's secrets (signing keys, storage keys, client secrets). */
    Secrets secrets();

    Clock clock();
}
