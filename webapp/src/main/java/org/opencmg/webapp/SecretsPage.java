package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.util.Map;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminPage;
import org.opencmg.api.AdminReply;
import org.opencmg.api.Html;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;

/**
 * The secret store's metadata (never a value) and "rotate now" for the secrets whose owner knows
 * how to roll them over with an overlap: the rotation is the owner's own admin API call, so it
 * makes the right kind of key and keeps the previous one valid as the owner requires.
 */
final class SecretsPage implements AdminPage {

    /** Secret name → its owner's rotation call (admin resource, sub-path). */
    static final Map<String, String[]> ROTATIONS = Map.of(
            "plugin.auth-token.signing-key", new String[] {"tokens", "/rotate-signing-key"},
            "plugin.role-content.storage-key", new String[] {"content", "/rotate-key"});

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
            if (s.active() && ROTATIONS.containsKey(s.name())) {
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

    @Override
    public PageReply submit(PageRequest r) {
        String[] call = ROTATIONS.get(r.param("name"));
        if (!"/rotate".equals(r.subPath()) || call == null) {
            return PageReply.refused("That secret cannot be rotated from here.");
        }
        var owner = ctx.services().pluginResources().stream()
                .filter(a -> a.name().equals(call[0]))
                .findFirst();
        if (owner.isEmpty()) {
            return PageReply.refused("The plugin that owns " + r.param("name") + " is not loaded.");
        }
        AdminReply reply = owner.get().handle(new AdminCall("POST", call[1], Map.of(), new byte[0], r.actor()));
        if (reply.status() >= 400) {
            return PageReply.refused(
                    "Rotation refused: " + (reply.json() instanceof Map<?, ?> m ? m.get("error") : reply.status()));
        }
        return PageReply.done("Rotated " + r.param("name") + "; the previous version stays valid for its overlap.");
    }
}
