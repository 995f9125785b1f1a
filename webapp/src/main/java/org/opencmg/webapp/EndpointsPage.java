package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.util.Arrays;
import java.util.List;
import org.opencmg.api.AdminPage;
import org.opencmg.api.Html;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.admin.AdminOperations;
import org.opencmg.server.admin.EndpointRequest;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.Quota;

/** Published endpoints (URL mappings): publish a role instance or one mapping, unpublish; set or remove their quotas. */
final class EndpointsPage implements AdminPage {

    private final ConsoleContext ctx;

    EndpointsPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "endpoints";
    }

    @Override
    public String title() {
        return "Endpoints";
    }

    @Override
    public PageReply render(PageRequest r) {
        var sb = new StringBuilder();
        List<PublishedEndpoint> list = ctx.services().endpoints().list();
        sb.append("<h2>Published</h2>");
        if (list.isEmpty()) {
            sb.append("<p>Nothing is published: every device request is refused (404 unmapped).</p>");
        } else {
            sb.append(
                            "<table><thead><tr><th scope=\"col\">External path</th><th scope=\"col\">Internal URL</th><th scope=\"col\">Site</th>")
                    .append(
                            "<th scope=\"col\">Auth</th><th scope=\"col\">Methods</th><th scope=\"col\">Max request</th>")
                    .append(
                            "<th scope=\"col\">Role</th><th scope=\"col\">Published</th><th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
            for (var p : list) {
                var e = p.endpoint();
                sb.append("<tr><th scope=\"row\"><code>")
                        .append(text(e.externalPath()))
                        .append("</code></th><td><code>")
                        .append(text(e.internalUrl()))
                        .append("</code></td><td>")
                        .append(text(p.site()))
                        .append("</td><td>")
                        .append(text(String.join(", ", e.authMethods())))
                        .append("</td><td>")
                        .append(text(String.join(" ", e.methods())))
                        .append("</td><td>")
                        .append(text(Html.bytes(e.maxRequestBytes())))
                        .append("</td><td>")
                        .append(p.roleId() == null ? "—" : text(p.roleKind() + " " + p.roleId()))
                        .append("</td><td>")
                        .append(text(Format.time(p.publishedAt())))
                        .append(" by ")
                        .append(text(p.publishedBy()))
                        .append("</td><td>")
                        .append(Html.namedButtonForm(
                                r.action() + "/unpublish",
                                r.csrfToken(),
                                "Unpublish",
                                "Unpublish " + e.externalPath(),
                                "external_path",
                                e.externalPath()))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
            var roleIds = list.stream()
                    .filter(p -> p.roleId() != null)
                    .map(PublishedEndpoint::roleId)
                    .distinct()
                    .toList();
            if (!roleIds.isEmpty()) {
                sb.append("<p>Unpublish a whole role instance: ");
                roleIds.forEach(id -> sb.append(Html.buttonForm(
                                r.action() + "/unpublish", r.csrfToken(), "Unpublish role " + id, "role_id", id))
                        .append(' '));
                sb.append("</p>");
            }
        }
        quotas(r, sb, list);
        sb.append(
                        "<h2 id=\"publish-role-h\">Publish a site role</h2><p>Every mapping the role's plugin defines for one instance of it.</p>")
                .append("<form method=\"post\" action=\"")
                .append(text(r.action()))
                .append("/publish-role\" class=\"stack\" aria-labelledby=\"publish-role-h\">")
                .append(r.csrfField())
                .append("<label for=\"role\">Role</label><select id=\"role\" name=\"role\">");
        ctx.services()
                .roles()
                .forEach(role -> sb.append("<option>").append(text(role.kind())).append("</option>"));
        sb.append(
                        "</select><label for=\"role_id\">Role ID</label><input id=\"role_id\" name=\"role_id\" required pattern=\"[0-9A-Za-z_-]{1,64}\">")
                .append("<label for=\"site\">Site</label><input id=\"site\" name=\"site\" required>")
                .append(
                        "<label for=\"internal_url\">Internal base URL</label><input id=\"internal_url\" name=\"internal_url\" type=\"url\" required ")
                .append(
                        "placeholder=\"https://mp1.corp.example\"><button type=\"submit\">Publish role</button></form>");
        sb.append("<h2 id=\"publish-one-h\">Publish one mapping</h2><form method=\"post\" action=\"")
                .append(text(r.action()))
                .append("/publish\" class=\"stack\" aria-labelledby=\"publish-one-h\">")
                .append(r.csrfField())
                .append(
                        "<label for=\"external_path\">External path</label><input id=\"external_path\" name=\"external_path\" required ")
                .append("placeholder=\"/CCM_Proxy_MutualAuth/72057594037927939/CCM_System\">")
                .append(
                        "<label for=\"internal_url1\">Internal URL</label><input id=\"internal_url1\" name=\"internal_url\" type=\"url\" required>")
                .append("<label for=\"site1\">Site</label><input id=\"site1\" name=\"site\" required>")
                .append(
                        "<label for=\"methods\">Methods (space separated; empty: the defaults)</label><input id=\"methods\" name=\"methods\">")
                .append(
                        "<label for=\"auth\">Auth methods (space separated; empty: pki)</label><input id=\"auth\" name=\"auth\">")
                .append(
                        "<label for=\"max\">Max request bytes (empty: 5 MiB)</label><input id=\"max\" name=\"max_request_bytes\" inputmode=\"numeric\">")
                .append("<button type=\"submit\">Publish mapping</button></form>");
        return PageReply.ok(sb.toString());
    }

    @Override
    public PageReply submit(PageRequest r) {
        var api = ctx.operations();
        switch (r.subPath()) {
            case "/publish-role" -> {
                var published = api.publishRole(
                        r.param("role"),
                        r.param("role_id").strip(),
                        r.param("site").strip(),
                        r.param("internal_url").strip(),
                        r.actor());
                return PageReply.done("Published " + published.size() + " mappings of " + r.param("role") + " "
                        + r.param("role_id") + ".");
            }
            case "/publish" -> {
                String max = r.param("max_request_bytes").strip();
                var request = new EndpointRequest(
                        r.param("external_path").strip(),
                        r.param("internal_url").strip(),
                        r.param("site").strip(),
                        null,
                        words(r.param("methods")),
                        words(r.param("auth")),
                        max.isEmpty() ? null : parseLong(max, "max request bytes"));
                var p = api.publish(request, null, r.actor());
                return PageReply.done("Published " + p.endpoint().externalPath() + ".");
            }
            case "/quota" -> {
                String warn = r.param("warn_percent").strip();
                api.setQuota(
                        new AdminOperations.QuotaRequest(
                                r.param("external_path"),
                                r.param("window").strip(),
                                AdminOperations.budget(r.param("requests"), "requests", false),
                                AdminOperations.budget(r.param("egress_bytes"), "egress_bytes", true),
                                AdminOperations.budget(r.param("device_requests"), "device_requests", false),
                                AdminOperations.budget(r.param("device_egress_bytes"), "device_egress_bytes", true),
                                warn.isEmpty() ? null : (int) parseLong(warn, "warn at")),
                        r.actor());
                return PageReply.done("Set the quota of " + r.param("external_path") + ".");
            }
            case "/quota-remove" -> {
                api.removeQuota(r.param("external_path"), r.actor());
                return PageReply.done("Removed the quota of " + r.param("external_path") + ".");
            }
            case "/unpublish" -> {
                if (!r.param("role_id").isEmpty()) {
                    api.unpublishRole(r.param("role_id"), r.actor());
                    return PageReply.done("Unpublished role " + r.param("role_id") + ".");
                }
                api.unpublish(r.param("external_path"), r.actor());
                return PageReply.done("Unpublished " + r.param("external_path") + ".");
            }
            default -> {
                return PageReply.error(404, "no such form");
            }
        }
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.strip().split("[\\s,]+"));
    }

    private static long parseLong(String s, String what) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a number");
        }
    }

    /** The endpoints' budgets, each with a remove button, and the form that sets one. */
    private void quotas(PageRequest r, StringBuilder sb, List<PublishedEndpoint> published) {
        sb.append(
                        "<h2 id=\"quotas-h\">Quotas</h2><p>Budgets per endpoint and per device on it, over a window: at the warning")
                .append(
                        " threshold the dashboard and <code>cmg_quota_use_ratio</code> warn; at a budget the endpoint (or that device)")
                .append(
                        " is answered <code>429</code> with <code>Retry-After</code> until the window ends. Use against budget:")
                .append(" <a href=\"/traffic\">Traffic</a>.</p>");
        var quotas = ctx.services().quotas().list();
        if (quotas.isEmpty()) {
            sb.append("<p>No endpoint has a quota.</p>");
        } else {
            sb.append("<table id=\"quotas\"><thead><tr><th scope=\"col\">Endpoint</th><th scope=\"col\">Window</th>")
                    .append(
                            "<th scope=\"col\">Requests</th><th scope=\"col\">Egress</th><th scope=\"col\">Requests per device</th>")
                    .append(
                            "<th scope=\"col\">Egress per device</th><th scope=\"col\">Warn at</th><th scope=\"col\">Set</th>")
                    .append("<th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
            for (var q : quotas) {
                sb.append("<tr><th scope=\"row\"><code>")
                        .append(text(q.externalPath()))
                        .append("</code></th><td>")
                        .append(text(Quota.formatWindow(q.window())))
                        .append("</td><td>")
                        .append(count(q.requests()))
                        .append("</td><td>")
                        .append(size(q.egressBytes()))
                        .append("</td><td>")
                        .append(count(q.deviceRequests()))
                        .append("</td><td>")
                        .append(size(q.deviceEgressBytes()))
                        .append("</td><td>")
                        .append(q.warnPercent())
                        .append(" %</td><td>")
                        .append(text(Format.time(q.updatedAt())))
                        .append(" by ")
                        .append(text(q.updatedBy()))
                        .append("</td><td>")
                        .append(Html.namedButtonForm(
                                r.action() + "/quota-remove",
                                r.csrfToken(),
                                "Remove",
                                "Remove the quota of " + q.externalPath(),
                                "external_path",
                                q.externalPath()))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
        }
        if (published.isEmpty()) {
            return;
        }
        sb.append("<h3 id=\"quota-h\">Set a quota</h3><form method=\"post\" action=\"")
                .append(text(r.action()))
                .append("/quota\" class=\"stack\" id=\"quota-form\" aria-labelledby=\"quota-h\">")
                .append(r.csrfField())
                .append(
                        "<label for=\"quota-endpoint\">Endpoint</label><select id=\"quota-endpoint\" name=\"external_path\">");
        published.forEach(p ->
                sb.append("<option>").append(text(p.endpoint().externalPath())).append("</option>"));
        sb.append("</select><label for=\"quota-window\">Window (30s, 15m, 1h, 1d)</label>")
                .append(
                        "<input id=\"quota-window\" name=\"window\" required value=\"1h\" pattern=\"[0-9]{1,7}[smhdSMHD]\">")
                .append(
                        "<p>Leave a budget empty for none; sizes take KB, MB, GB (powers of 1000) or KiB, MiB, GiB.</p>")
                .append("<label for=\"quota-requests\">Requests per window, the endpoint as a whole</label>")
                .append("<input id=\"quota-requests\" name=\"requests\" inputmode=\"numeric\">")
                .append("<label for=\"quota-egress\">Egress per window, the endpoint as a whole</label>")
                .append("<input id=\"quota-egress\" name=\"egress_bytes\" placeholder=\"50GiB\">")
                .append("<label for=\"quota-device-requests\">Requests per window, each device</label>")
                .append("<input id=\"quota-device-requests\" name=\"device_requests\" inputmode=\"numeric\">")
                .append("<label for=\"quota-device-egress\">Egress per window, each device</label>")
                .append("<input id=\"quota-device-egress\" name=\"device_egress_bytes\" placeholder=\"500MiB\">")
                .append("<label for=\"quota-warn\">Warn at (percent of a budget)</label>")
                .append("<input id=\"quota-warn\" name=\"warn_percent\" inputmode=\"numeric\" value=\"")
                .append(Quota.DEFAULT_WARN_PERCENT)
                .append("\"><button type=\"submit\">Set quota</button></form>");
    }

    private static String count(Long n) {
        return n == null ? "—" : Long.toString(n);
    }

    private static String size(Long n) {
        return n == null ? "—" : text(Html.bytes(n));
    }
}
