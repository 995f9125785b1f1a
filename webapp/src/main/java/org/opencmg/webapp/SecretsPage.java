package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.util.Map;
import java.util.Optional;
import org.opencmg.api.AdminPage;
import org.opencmg.api.AdminReply;
import org.opencmg.api.Html;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.api.SecretRotation;
import org.opencmg.server.plugin.PluginHost;

/**
 * The secret store's metadata (never a value) and "rotate now" for the secrets a plugin offers to
 * rotate ({@link SecretRotation}): the plugin makes the right kind of key and keeps the previous
 * one valid as its users require.
 */
final class SecretsPage implements AdminPage {

    private final ConsoleContext ctx;

    SecretsPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "secrets";
    }

    @Override
    public String title() {
        return "Secrets";
    }

    @Override
    public PageReply render(PageRequest r) {
        var list = ctx.services().secrets().list();
        var sb = new StringBuilder("<p>Values are encrypted under the master key and never shown.</p>");
        if (list.isEmpty()) {
            return PageReply.ok(sb.append("<p>No secret yet.</p>").toString());
        }
        sb.append(
                        "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Version</th><th scope=\"col\">Created</th>")
                .append(
                        "<th scope=\"col\">Valid until</th><th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
        for (var s : list) {
            sb.append("<tr><th scope=\"row\">")
                    .append(text(s.name()))
                    .append("</th><td>")
                    .append(s.version())
                    .append("</td><td>")
                    .append(text(Format.time(s.createdAt())))
                    .append(" by ")
                    .append(text(s.createdBy()))
                    .append("</td><td>")
                    .append(s.active() ? "active" : text(Format.time(s.validUntil())))
                    .append("</td><td>");
            if (s.active() && rotation(s.name()).isPresent()) {
                sb.append(Html.namedButtonForm(
                        r.action() + "/rotate",
                        r.csrfToken(),
                        "Rotate now",
                        "Rotate " + s.name() + " now",
                        "name",
                        s.name()));
            }
            sb.append("</td></tr>");
        }
        return PageReply.ok(sb.append("</tbody></table>").toString());
    }

    /** The plugin's rotation of that secret, if a plugin offers one. */
    private Optional<SecretRotation> rotation(String secret) {
        return ctx.services().secretRotations().stream()
                .filter(c -> c.secret().equals(secret))
                .map(PluginHost.ContributedRotation::rotation)
                .findFirst();
    }

    @Override
    public PageReply submit(PageRequest r) {
        var rotation = rotation(r.param("name"));
        if (!"/rotate".equals(r.subPath()) || rotation.isEmpty()) {
            return PageReply.refused("That secret cannot be rotated from here.");
        }
        AdminReply reply = rotation.get().rotate(r.actor());
        if (reply.status() >= 400) {
            return PageReply.refused(
                    "Rotation refused: " + (reply.json() instanceof Map<?, ?> m ? m.get("error") : reply.status()));
        }
        return PageReply.done("Rotated " + r.param("name") + "; the previous version stays valid for its overlap.");
    }
}
