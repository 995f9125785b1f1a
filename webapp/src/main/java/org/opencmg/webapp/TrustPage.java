package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.opencmg.api.AdminPage;
import org.opencmg.api.Html;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.store.SettingsCatalog;

/** Client-certificate trust: trusted roots and intermediates, the CTL, uploaded CRLs, and the TLS and revocation settings. */
final class TrustPage implements AdminPage {

    private final ConsoleContext ctx;

    TrustPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "trust";
    }

    @Override
    public String title() {
        return "Trust and TLS";
    }

    @Override
    public PageReply render(PageRequest r) {
        var sb = new StringBuilder();
        var settings = ctx.services().settings();
        sb.append("<h2>TLS and revocation</h2><dl class=\"facts\">");
        for (String name : List.of(SettingsCatalog.ENFORCE_TLS12, SettingsCatalog.VERIFY_REVOCATION)) {
            settings.get(name)
                    .ifPresent(v -> sb.append("<dt>")
                            .append(text(name))
                            .append("</dt><dd>")
                            .append(Boolean.parseBoolean(v.value()) ? "on" : "off")
                            .append(v.isDefault() ? " (default)" : "")
                            .append("</dd>"));
        }
        sb.append("</dl><p><a href=\"/settings\">Change them on the settings page</a>.</p>");

        sb.append("<h2>Trusted roots and intermediates</h2>");
        var roots = ctx.services().trust().list().stream()
                .map(c -> new CertificateTable.Row(
                        c.subject(), c.kind(), c.notAfter(), c.thumbprintSha256(), "Remove " + c.subject()))
                .toList();
        sb.append(CertificateTable.render(
                r, "Kind", roots, "/remove-root", "None: every client certificate is refused."));
        sb.append(upload(r, "add-root", "Add roots or intermediates (PEM)"));

        sb.append("<h2>Certificate trust list (CTL)</h2>");
        var ctl = ctx.services().trust().ctl();
        if (ctl.isEmpty()) {
            sb.append("<p>Empty: any uploaded root is accepted.</p>");
        } else {
            sb.append(
                            "<table><thead><tr><th scope=\"col\">Subject</th><th scope=\"col\">SHA-256</th><th scope=\"col\">Added</th>")
                    .append("<th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
            for (var c : ctl) {
                sb.append("<tr><th scope=\"row\">")
                        .append(text(c.subject()))
                        .append("</th><td><code class=\"thumb\">")
                        .append(text(c.thumbprintSha256()))
                        .append("</code></td><td>")
                        .append(text(Format.time(c.addedAt())))
                        .append("</td><td>")
                        .append(Html.namedButtonForm(
                                r.action() + "/remove-ctl",
                                r.csrfToken(),
                                "Remove",
                                "Remove " + c.subject() + " from the CTL",
                                "thumbprint",
                                c.thumbprintSha256()))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
        }
        sb.append(upload(r, "add-ctl", "Add roots to the CTL (PEM)"));

        sb.append("<h2>Uploaded CRLs</h2>");
        var crls = ctx.services().trust().crls();
        if (crls.isEmpty()) {
            sb.append("<p>None uploaded; CRLs are fetched from each certificate's distribution point.</p>");
        } else {
            var now = ctx.services().clock().instant();
            sb.append(
                            "<table><thead><tr><th scope=\"col\">Issuer</th><th scope=\"col\">This update</th><th scope=\"col\">Next update</th>")
                    .append(
                            "<th scope=\"col\">SHA-256</th><th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
            for (var c : crls) {
                boolean stale = c.nextUpdate() != null && c.nextUpdate().isBefore(now);
                sb.append("<tr><th scope=\"row\">")
                        .append(text(c.issuer()))
                        .append("</th><td>")
                        .append(text(Format.time(c.thisUpdate())))
                        .append("</td><td>")
                        .append(text(Format.time(c.nextUpdate())))
                        .append(stale ? " <strong>(stale)</strong>" : "")
                        .append("</td><td><code class=\"thumb\">")
                        .append(text(c.sha256()))
                        .append("</code></td><td>")
                        .append(Html.namedButtonForm(
                                r.action() + "/remove-crl",
                                r.csrfToken(),
                                "Remove",
                                "Remove the CRL of " + c.issuer(),
                                "sha256",
                                c.sha256()))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
        }
        sb.append(upload(r, "add-crl", "Upload a CRL (PEM or DER as PEM)"));
        return PageReply.ok(sb.toString());
    }

    private static String upload(PageRequest r, String form, String legend) {
        return "<form method=\"post\" enctype=\"multipart/form-data\" action=\"" + text(r.action()) + "/" + form
                + "\" class=\"stack\">"
                + "<fieldset><legend>" + text(legend) + "</legend>" + r.csrfField()
                + "<label for=\"" + form + "-file\">File</label><input id=\"" + form
                + "-file\" name=\"pem\" type=\"file\" accept=\".pem,.crt,.cer,.crl\">"
                + "<label for=\"" + form + "-text\">or paste it</label><textarea id=\"" + form
                + "-text\" name=\"pem\" rows=\"4\"></textarea>"
                + "<button type=\"submit\">Upload</button></fieldset></form>";
    }

    @Override
    public PageReply submit(PageRequest r) {
        var api = ctx.operations();
        byte[] pem = r.param("pem").getBytes(StandardCharsets.UTF_8);
        try {
            switch (r.subPath()) {
                case "/add-root" -> {
                    api.addRoots(pem, r.actor());
                    return PageReply.done("Added.");
                }
                case "/add-ctl" -> {
                    api.addCtl(pem, r.actor());
                    return PageReply.done("Added to the CTL.");
                }
                case "/add-crl" -> {
                    api.addCrl(pem, r.actor());
                    return PageReply.done("CRL uploaded.");
                }
                case "/remove-root" -> {
                    api.removeRoot(r.param("thumbprint"), r.actor());
                    return PageReply.done("Removed.");
                }
                case "/remove-ctl" -> {
                    api.removeCtl(r.param("thumbprint"), r.actor());
                    return PageReply.done("Removed from the CTL.");
                }
                case "/remove-crl" -> {
                    api.removeCrl(r.param("sha256"), r.actor());
                    return PageReply.done("CRL removed.");
                }
                default -> {
                    return PageReply.error(404, "no such form");
                }
            }
        } catch (IOException e) {
            return PageReply.refused("unreadable upload: " + e.getMessage());
        }
    }
}
