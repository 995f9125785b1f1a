package org.opencmg.server.admin;

import jakarta.servlet.http.HttpServletRequest;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.opencmg.api.Jdbc;
import org.opencmg.server.plugin.PluginHost;
import org.opencmg.server.refusal.Refusals;

/**
 * The admin console of one instance, at "/" of the admin connector beside {@code /api} and
 * {@code /metrics}. It lives in the webapp module, which the gateway host does not depend on: whoever
 * assembles the process (the CLI's gateway and demo commands) hands its {@link Factory} to
 * {@code Gateway.start}; an instance started without one serves the API and metrics only.
 */
public interface AdminConsole {

    /** Makes the console of one instance. */
    @FunctionalInterface
    interface Factory {
        AdminConsole open(Parts parts);
    }

    /**
     * What the console works on: the admin operations (so a form does exactly what the API call
     * does, audit included), the store (its sessions are there, shared by every instance on it),
     * refusals (logged and counted) and plugins.
     *
     * @param gatewayCertificates the connectors' own certificates by connector name (for expiry alerts)
     */
    record Parts(
            AdminOperations operations,
            Jdbc jdbc,
            Refusals refusals,
            Supplier<List<PluginHost.PluginStatus>> plugins,
            List<PluginHost.ContributedPage> pluginPages,
            Map<String, X509Certificate> gatewayCertificates) {}

    /**
     * The administrator of a console session on this request whose CSRF token came along in
     * {@code X-CSRF-Token}: the console's own fetch() calls to the API.
     */
    Optional<String> sessionUser(HttpServletRequest req);

    /** Mounts the console's pages at "/" of the admin connector. */
    void mount(ServletContextHandler admin);
}
