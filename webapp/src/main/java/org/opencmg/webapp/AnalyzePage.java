package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.admin.AdminOperations;
import org.opencmg.server.channel.ConnectionAnalyzer;

/**
 * The form of {@code cmg analyze} at this instance: the same {@link ConnectionAnalyzer} as
 * {@code POST /api/analyze}, one row per kind of device, connection point and role, a column per
 * hop. TLS is the device's side: {@code cmg analyze} checks it; this page cannot.
 */
final class AnalyzePage implements AdminPage {

    private final ConsoleContext ctx;

    AnalyzePage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "analyze";
    }

    @Override
    public String title() {
        return "Analyze connections";
    }

    @Override
    public PageReply render(PageRequest r) {
        return PageReply.ok(intro() + form(r));
    }

    private static String intro() {
        return "<p>Sends a synthetic HEAD of one endpoint of every published role over every channel of its site, as each "
                + "kind of device whose credentials you give, through this gateway instance, and says which hop fails and why. "
                + "Synthetic requests are counted apart from device traffic. The TLS hop and the other instances: "
                + "<code>cmg analyze</code>.</p>";
    }

    private static String form(PageRequest r) {
        return "<form method=\"post\" enctype=\"multipart/form-data\" action=\"" + text(r.action())
                + "\" class=\"stack\" id=\"analyze\">"
                + r.csrfField()
                + "<label for=\"cert-file\">Certificate device: its certificate (PEM, chain allowed; optional)</label>"
                + "<input id=\"cert-file\" name=\"certificate\" type=\"file\" accept=\".pem,.crt,.cer\">"
                + "<label for=\"cert-text\">or paste it</label><textarea id=\"cert-text\" name=\"certificate\" rows=\"3\"></textarea>"
                + "<label for=\"token\">Token device: an access token (optional; never stored)</label>"
                + "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\">"
                + "<label for=\"entra\">Entra ID device: an access token traded at CCM_STS (optional; never stored)</label>"
                + "<input id=\"entra\" name=\"entra_token\" type=\"password\" autocomplete=\"off\">"
                + "<label for=\"roles\">Role IDs that must be published (optional, comma-separated)</label>"
                + "<input id=\"roles\" name=\"roles\" value=\"" + text(r.param("roles")) + "\">"
                + "<button type=\"submit\">Analyze</button></form>";
    }

    @Override
    public PageReply submit(PageRequest r) {
        List<X509Certificate> chain;
        try {
            chain = AdminOperations.chain(r.param("certificate"));
        } catch (IOException e) {
            return PageReply.refused("The certificate is not readable PEM.");
        }
        var roles = new ArrayList<String>();
        for (String role : r.param("roles").split(",")) {
            if (!role.isBlank()) {
                roles.add(role.strip());
            }
        }
        var report = ctx.operations()
                .analyze(chain, r.param("token").strip(), r.param("entra_token").strip(), roles, r.actor());
        var sb = new StringBuilder("<section aria-labelledby=\"result-h\" id=\"result\"><h2 id=\"result-h\">")
                .append(report.allPassed() ? "All passed" : "Failed")
                .append(" at instance ")
                .append(text(report.instance()))
                .append("</h2><table><thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Connection point</th>")
                .append("<th scope=\"col\">Role</th>");
        for (String hop : ConnectionAnalyzer.HOPS.subList(1, ConnectionAnalyzer.HOPS.size())) {
            sb.append("<th scope=\"col\">").append(text(hop.replace('_', ' '))).append("</th>");
        }
        sb.append("<th scope=\"col\">Verdict</th></tr></thead><tbody>");
        for (var row : report.rows()) {
            sb.append("<tr><th scope=\"row\">")
                    .append(text(row.kind()))
                    .append("</th><td>")
                    .append(text(dash(row.connectionPoint())))
                    .append("</td><td>")
                    .append(text(dash(row.role())))
                    .append("</td>");
            if (row.hops().isEmpty()) { // skipped: the reason spans the hops
                sb.append("<td colspan=\"")
                        .append(ConnectionAnalyzer.HOPS.size())
                        .append("\">skipped: ")
                        .append(text(row.detail()))
                        .append("</td></tr>");
                continue;
            }
            for (var hop : row.hops()) {
                sb.append("<td title=\"")
                        .append(text(hop.detail() == null ? "" : hop.detail()))
                        .append("\">")
                        .append(text(
                                switch (hop.verdict()) {
                                    case "ok" -> "ok";
                                    case "failed" -> hop.reason();
                                    default -> "–";
                                }))
                        .append("</td>");
            }
            sb.append("<td>")
                    .append(text(
                            switch (row.verdict()) {
                                case "ok" -> "ok";
                                case "skipped" -> "skipped: " + row.detail();
                                default ->
                                    row.failedHop() + ": " + row.reason()
                                            + (row.detail() == null ? "" : " (" + row.detail() + ")");
                            }))
                    .append("</td></tr>");
        }
        sb.append("</tbody></table></section><h2>Again</h2>");
        // Fill the form again, but never echo a token back into the page.
        var again = new HashMap<>(r.params());
        again.remove("token");
        again.remove("entra_token");
        return PageReply.ok(
                sb + form(new PageRequest(r.method(), r.subPath(), again, r.actor(), r.csrfToken(), r.action())));
    }

    private static String dash(String s) {
        return s == null ? "–" : s;
    }
}
