package org.opencmg.webapp;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.opencmg.server.admin.AdminOperations;
import org.opencmg.server.admin.AdminServices;
import org.opencmg.server.plugin.PluginHost;
import org.opencmg.server.refusal.Refusals;

/**
 * What the console's pages work on: the admin services and operations (so a form does exactly
 * what the API call does, audit included), sessions, refusals (logged and counted), plugins.
 *
 * @param gatewayCertificates the connectors' own certificates by connector name (for expiry alerts)
 */
public record ConsoleContext(
        AdminServices services,
        AdminOperations operations,
        ConsoleSessions sessions,
        Refusals refusals,
        Supplier<List<PluginHost.PluginStatus>> plugins,
        List<PluginHost.ContributedPage> pluginPages,
        Map<String, X509Certificate> gatewayCertificates) {}
