package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.io.IOException;
import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;

/** Administrators' client certificates: one registered here signs its holder in to the console. */
final class AdminCertificatesPage implements AdminPage {

    private final ConsoleContext ctx;

    AdminCertificatesPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "admin-certificates";
    }

    @Override
    public String title() {
        return "Admin certificates";
    }

    @Override
    public PageReply render(PageRequest r) {
        var sb = new StringBuilder(
                        "<p>The admin connector asks browsers for a client certificate. One whose SHA-256 thumbprint is ")
                .append("registered here signs its holder in as its administrator, without a password.</p>");
        var rows = ctx.operations().adminCertificates().list().stream()
                .map(c -> new CertificateTable.Row(
                        c.subject(),
                        c.user(),
                        c.notAfter(),
                        c.thumbprintSha256(),
                        "Remove the certificate " + c.subject()))
                .toList();
        sb.append(CertificateTable.render(r, "Administrator", rows, "/remove", "None registered."));
        sb.append("<form method=\"post\" enctype=\"multipart/form-data\" action=\"")
                .append(text(r.action()))
                .append("/add\" class=\"stack\"><fieldset><legend>Register a certificate</legend>")
                .append(r.csrfField())
                .append("<label for=\"user\">Administrator</label><select id=\"user\" name=\"user\">");
        ctx.services()
                .credentials()
                .names()
                .forEach(n -> sb.append("<option")
                        .append(n.equals(r.actor()) ? " selected" : "")
                        .append('>')
                        .append(text(n))
                        .append("</option>"));
        sb.append(
                        "</select><label for=\"cert-file\">Certificate (PEM)</label><input id=\"cert-file\" name=\"certificate\" type=\"file\" accept=\".pem,.crt,.cer\">")
                .append(
                        "<label for=\"cert-text\">or paste it</label><textarea id=\"cert-text\" name=\"certificate\" rows=\"4\"></textarea>")
                .append("<button type=\"submit\">Register</button></fieldset></form>");
        return PageReply.ok(sb.toString());
    }

    @Override
    public PageReply submit(PageRequest r) {
        try {
            switch (r.subPath()) {
                case "/add" -> {
                    ctx.operations().addAdminCertificate(r.param("user"), r.param("certificate"), r.actor());
                    return PageReply.done("Registered.");
                }
                case "/remove" -> {
                    ctx.operations().removeAdminCertificate(r.param("thumbprint"), r.actor());
                    return PageReply.done("Removed.");
                }
                default -> {
                    return PageReply.error(404, "no such form");
                }
            }
        } catch (IOException e) {
            return PageReply.refused("unreadable certificate");
        }
    }
}
