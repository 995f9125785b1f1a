package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.admin.AdminOperations;
import org.opencmg.server.pipeline.RequestExplainer;

/**
 * The form of {@code cmg explain}: which authentication, mapping, site and connection point would
 * serve a request, or why not, computed by the same {@link RequestExplainer} as the API.
 */
final class ExplainPage implements AdminPage {

    private final ConsoleContext ctx;

    ExplainPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "explain";
    }

    @Override
    public String title() {
        return "Explain a request";
    }

    @Override
    public PageReply render(PageRequest r) {
        return PageReply.ok(form(r));
    }

    private static String form(PageRequest r) {
        String method = r.param("method").isEmpty() ? "GET" : r.param("method");
        return "<form method=\"post\" enctype=\"multipart/form-data\" action=\"" + text(r.action())
                + "\" class=\"stack\" id=\"explain\">"
                + r.csrfField()
                + "<label for=\"url\">URL (path and query)</label><input id=\"url\" name=\"url\" required value=\""
                + text(r.param("url"))
                + "\" placeholder=\"/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request\">"
                + "<label for=\"method\">Method</label><input id=\"method\" name=\"method\" value=\"" + text(method)
                + "\">"
                + "<label for=\"cert-file\">Device certificate (PEM, chain allowed; optional)</label>"
                + "<input id=\"cert-file\" name=\"certificate\" type=\"file\" accept=\".pem,.crt,.cer\">"
                + "<label for=\"cert-text\">or paste it</label><textarea id=\"cert-text\" name=\"certificate\" rows=\"3\"></textarea>"
                + "<label for=\"token\">Bearer token (optional; never stored)</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\">"
                + "<button type=\"submit\">Explain</button></form>";
    }

    @Override
    public PageReply submit(PageRequest r) {
        String url = r.param("url").strip();
        if (url.isEmpty()) {
            return PageReply.refused("The URL is required.");
        }
        List<X509Certificate> chain;
        try {
            chain = AdminOperations.chain(r.param("certificate"));
        } catch (IOException e) {
            return PageReply.refused("The certificate is not readable PEM.");
        }
        String token = r.param("token").strip();
        String method =
                r.param("method").isBlank() ? "GET" : r.param("method").strip().toUpperCase(Locale.ROOT);
        RequestExplainer.Explanation e =
                ctx.services().explainer().explain(method, url, chain, token.isEmpty() ? null : token);
        var sb = new StringBuilder("<section aria-labelledby=\"result-h\" id=\"result\"><h2 id=\"result-h\">")
                .append(e.served() ? "Served" : text(e.status() + " " + e.reason()))
                .append("</h2><dl class=\"facts\">");
        fact(sb, "Detail", e.detail());
        fact(sb, "Devices", e.devices().isEmpty() ? null : String.join(", ", e.devices()));
        fact(sb, "As", e.device());
        fact(sb, "Gateway service", e.service());
        fact(sb, "Mapping", e.endpoint());
        fact(sb, "Internal URL", e.internalUrl());
        fact(sb, "Site", e.site());
        fact(sb, "Connection point", e.connectionPoint());
        sb.append("</dl></section><h2>Another request</h2>");
        // Fill the form again, but never echo the token back into the page.
        var again = new HashMap<>(r.params());
        again.remove("token");
        return PageReply.ok(
                sb + form(new PageRequest(r.method(), r.subPath(), again, r.actor(), r.csrfToken(), r.action())));
    }

    private static void fact(StringBuilder sb, String name, String value) {
        if (value != null && !value.isEmpty()) {
            sb.append("<dt>")
                    .append(text(name))
                    .append("</dt><dd>")
                    .append(text(value))
                    .append("</dd>");
        }
    }
}
