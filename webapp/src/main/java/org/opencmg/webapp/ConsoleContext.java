package org.opencmg.webapp;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.opencmg.server.admin.AdminApiServlet;
import org.opencmg.server.admin.AdminServices;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.plugin.PluginHost;
import org.opencmg.server.store.AdminCertificates;

/**
 * What the console's pages work on: the admin API's services and actions (so a form does exactly
 * what the API call does, audit included), sessions, refusals (logged and counted), admin certificates, plugins.
 *
 * @param gatewayCertificates the connectors' own certificates by connector name (for expiry alerts)
 */
public record ConsoleContext(AdminServices services, AdminApiServlet api, ConsoleSessions sessions, Refusals refusals,
                             AdminCertificates adminCertificates, Supplier<List<PluginHost.PluginStatus>> plugins,
                             List<PluginHost.ContributedPage> pluginPages, Map<String, X509Certificate> gatewayCertificates) {
}
