package org.opencmg.plugins.token;

import static org.opencmg.api.Html.text;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminPage;
import org.opencmg.api.AdminReply;
import org.opencmg.api.Html;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.api.PluginContext;
import org.pf4j.Extension;

/**
 * The console page of bulk registration tokens and registered devices
 * ({@code /plugins/auth-token/tokens}). Its forms make the very calls of {@code /api/tokens}
 * ({@link TokenAdmin}), so validation and audit are the same; a new token is shown once, on the
 * answer to the form, and stored nowhere. Devices are blocked, unblocked and deleted through
 * {@code /api/devices} ({@link TokenAdmin.Devices}) the same way.
 */
@Extension
public final class TokenPages implements AdminPage {

    /** Devices shown on one page: the list stays usable however many registered. */
    static final int DEVICES_PER_PAGE = 50;

    private final TokenAdmin api;
    private final TokenAdmin.Devices devicesApi;
    private final TokenStore store;

    public TokenPages(PluginContext context) {
        this(new TokenAdmin(context), new TokenAdmin.Devices(context), new TokenStore(context.jdbc()));
    }

    TokenPages(TokenAdmin api, TokenAdmin.Devices devicesApi, TokenStore store) {
        this.api = api;
        this.devicesApi = devicesApi;
        this.store = store;
    }

    @Override
    public String path() {
        return "tokens";
    }

    @Override
    public String title() {
        return "Tokens and devices";
    }

    @Override
    public PageReply render(PageRequest r) {
        return PageReply.ok(page(r, null));
    }

    @Override
    public PageReply submit(PageRequest r) {
        String action = r.param("action");
        if ("new".equals(action)) {
            String minutes = r.param("lifetime_minutes").strip();
            if (!minutes.matches("[0-9]{1,9}")) {
                return PageReply.refused("The lifetime is a whole number of minutes.");
            }
            String maxRegistrations = r.param("max_registrations").strip();
            if (!maxRegistrations.matches("[0-9]{0,9}")) {
                return PageReply.refused("The maximum of registrations is a whole number, or empty for no limit.");
            }
            AdminReply reply = api.handle(new AdminCall(
                    "POST",
                    "",
                    Map.of(),
                    ("{\"lifetime_minutes\": " + minutes
                                    + (maxRegistrations.isEmpty() ? "" : ", \"max_registrations\": " + maxRegistrations)
                                    + "}")
                            .getBytes(StandardCharsets.UTF_8),
                    r.actor()));
            if (reply.status() >= 400) {
                return PageReply.refused(error(reply));
            }
            var t = (Map<?, ?>) reply.json();
            String shown =
                    "<section class=\"msg ok\" aria-labelledby=\"new-token-h\" id=\"new-token\"><h2 id=\"new-token-h\">New bulk token "
                            + text(t.get("id")) + "</h2><p>Valid from " + text(t.get("not_before")) + " to "
                            + text(t.get("expires_at"))
                            + ". It is shown only now and stored nowhere: copy it.</p><pre class=\"secret\" id=\"token-value\">"
                            + text(t.get("token")) + "</pre></section>";
            return PageReply.ok(page(r, shown));
        }
        if ("block".equals(action) || "unblock".equals(action)) {
            AdminReply reply = api.handle(
                    new AdminCall("POST", "/" + r.param("id") + "/" + action, Map.of(), new byte[0], r.actor()));
            return reply.status() >= 400
                    ? PageReply.refused(error(reply))
                    : PageReply.done(
                            ("block".equals(action) ? "Blocked" : "Unblocked") + " token " + r.param("id") + ".");
        }
        if ("device-block".equals(action) || "device-unblock".equals(action) || "device-delete".equals(action)) {
            String id = r.param("id");
            boolean delete = "device-delete".equals(action);
            AdminReply reply = devicesApi.handle(new AdminCall(
                    delete ? "DELETE" : "POST",
                    "/" + id + (delete ? "" : "/" + action.substring("device-".length())),
                    Map.of(),
                    new byte[0],
                    r.actor()));
            return reply.status() >= 400
                    ? PageReply.refused(error(reply))
                    : PageReply.done((delete ? "Deleted" : "device-block".equals(action) ? "Blocked" : "Unblocked")
                            + " device " + id + ".");
        }
        return PageReply.refused("Unknown action.");
    }

    private static String error(AdminReply reply) {
        return reply.json() instanceof Map<?, ?> m && m.get("error") != null
                ? m.get("error").toString()
                : "refused";
    }

    private String page(PageRequest r, String shown) {
        var sb = new StringBuilder();
        if (shown != null) {
            sb.append(shown);
        }
        sb.append("<h2 id=\"new-h\">New bulk registration token</h2><form method=\"post\" action=\"")
                .append(text(r.action()))
                .append("\" class=\"stack\" aria-labelledby=\"new-h\">")
                .append(r.csrfField())
                .append("<input type=\"hidden\" name=\"action\" value=\"new\">")
                .append("<label for=\"lifetime\">Lifetime in minutes (at most ")
                .append(Tokens.BULK_MAX.toMinutes())
                .append(")</label>")
                .append("<input id=\"lifetime\" name=\"lifetime_minutes\" inputmode=\"numeric\" value=\"")
                .append(Tokens.BULK_DEFAULT.toMinutes())
                .append("\"><label for=\"max-registrations\">Maximum of devices it registers (empty: no limit)</label>")
                .append("<input id=\"max-registrations\" name=\"max_registrations\" inputmode=\"numeric\" value=\"\">")
                .append("<button type=\"submit\" id=\"new-token-button\">Create token</button></form>");
        sb.append("<h2>Bulk registration tokens</h2>");
        AdminReply list = api.handle(new AdminCall("GET", "", Map.of(), new byte[0], r.actor()));
        List<?> rows = list.json() instanceof List<?> l ? l : List.of();
        if (rows.isEmpty()) {
            sb.append("<p>None issued.</p>");
        } else {
            sb.append(
                            "<table id=\"tokens\"><thead><tr><th scope=\"col\">ID</th><th scope=\"col\">State</th><th scope=\"col\">Valid from</th>")
                    .append(
                            "<th scope=\"col\">Until</th><th scope=\"col\">Devices</th><th scope=\"col\">Issued by</th><th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
            for (Object o : rows) {
                var t = (Map<?, ?>) o;
                String id = String.valueOf(t.get("id"));
                boolean blocked = Boolean.TRUE.equals(t.get("blocked"));
                sb.append("<tr data-token=\"")
                        .append(text(id))
                        .append("\"><th scope=\"row\"><code>")
                        .append(text(id))
                        .append("</code></th><td class=\"state ")
                        .append("active".equals(t.get("state")) ? "up" : "down")
                        .append("\">")
                        .append(text(t.get("state")))
                        .append("</td><td>")
                        .append(text(t.get("not_before")))
                        .append("</td><td>")
                        .append(text(t.get("expires_at")))
                        .append("</td><td>")
                        .append(text(t.get("registrations")))
                        .append(t.get("max_registrations") == null ? "" : " of " + text(t.get("max_registrations")))
                        .append("</td><td>")
                        .append(text(t.get("issued_by")))
                        .append("</td><td>")
                        .append(Html.namedButtonForm(
                                r.action(),
                                r.csrfToken(),
                                blocked ? "Unblock" : "Block",
                                (blocked ? "Unblock token " : "Block token ") + id,
                                "action",
                                blocked ? "unblock" : "block",
                                "id",
                                id))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
        }
        sb.append("<h2>Registered devices</h2>");
        int total = store.deviceCount();
        int pages = Math.max(1, (total + DEVICES_PER_PAGE - 1) / DEVICES_PER_PAGE);
        int pageNo =
                r.param("page").matches("[1-9][0-9]{0,6}") ? Math.min(Integer.parseInt(r.param("page")), pages) : 1;
        var devices = store.devices(DEVICES_PER_PAGE, (pageNo - 1) * DEVICES_PER_PAGE);
        if (devices.isEmpty()) {
            sb.append("<p>No device has registered yet.</p>");
        } else {
            sb.append("<p id=\"devices-count\">")
                    .append(total)
                    .append(total == 1 ? " device" : " devices")
                    .append(pages > 1 ? ", page " + pageNo + " of " + pages : "")
                    .append(".</p>");
            sb.append(
                            "<table id=\"devices\"><thead><tr><th scope=\"col\">Device</th><th scope=\"col\">ID</th><th scope=\"col\">State</th>")
                    .append(
                            "<th scope=\"col\">Registered</th><th scope=\"col\">With token</th><th scope=\"col\">Last device token</th>")
                    .append("<th scope=\"col\"><span class=\"sr\">Actions</span></th></tr></thead><tbody>");
            for (var d : devices) {
                sb.append("<tr data-device=\"")
                        .append(text(d.id()))
                        .append("\"><th scope=\"row\">")
                        .append(text(d.name()))
                        .append("</th><td><code>")
                        .append(text(d.id()))
                        .append("</code></td><td class=\"state ")
                        .append(d.blocked() ? "down\">blocked" : "up\">active")
                        .append("</td><td>")
                        .append(text(d.registeredAt()))
                        .append("</td><td><code>")
                        .append(text(d.bulkTokenId()))
                        .append("</code></td><td>")
                        .append(text(d.lastIssuedAt()))
                        .append("</td><td>")
                        .append(Html.namedButtonForm(
                                r.action(),
                                r.csrfToken(),
                                d.blocked() ? "Unblock" : "Block",
                                (d.blocked() ? "Unblock device " : "Block device ") + d.name(),
                                "action",
                                d.blocked() ? "device-unblock" : "device-block",
                                "id",
                                d.id()))
                        .append(Html.namedButtonForm(
                                r.action(),
                                r.csrfToken(),
                                "Delete",
                                "Delete device " + d.name(),
                                "action",
                                "device-delete",
                                "id",
                                d.id()))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
            if (pages > 1) {
                sb.append("<nav aria-label=\"Device pages\" id=\"device-pages\">");
                if (pageNo > 1) {
                    sb.append("<a rel=\"prev\" href=\"")
                            .append(text(r.action() + "?page=" + (pageNo - 1)))
                            .append("\">Newer devices</a> ");
                }
                if (pageNo < pages) {
                    sb.append("<a rel=\"next\" href=\"")
                            .append(text(r.action() + "?page=" + (pageNo + 1)))
                            .append("\">Older devices</a>");
                }
                sb.append("</nav>");
            }
        }
        return sb.toString();
    }
}
