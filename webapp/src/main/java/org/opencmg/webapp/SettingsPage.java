package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.store.SettingsCatalog;

/** Every setting (the gateway's and the plugins'), its value and description, each with its own form. */
final class SettingsPage implements AdminPage {

    private final ConsoleContext ctx;

    SettingsPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "settings";
    }

    @Override
    public String title() {
        return "Settings";
    }

    @Override
    public PageReply render(PageRequest r) {
        var sb = new StringBuilder(
                        "<p>A change reaches every gateway instance within a second. Settings never hold secrets.</p>")
                .append(
                        "<table><thead><tr><th scope=\"col\">Setting</th><th scope=\"col\">Description</th><th scope=\"col\">Value</th></tr></thead><tbody>");
        int i = 0;
        for (var v : ctx.services().settings().list()) {
            String id = "s" + i++;
            var def = ctx.services().settings().catalog().find(v.name());
            boolean bool =
                    def.map(d -> d.type() == SettingsCatalog.Type.BOOLEAN).orElse(false);
            sb.append("<tr><th scope=\"row\"><label for=\"")
                    .append(id)
                    .append("\">")
                    .append(text(v.name()))
                    .append("</label></th><td>")
                    .append(text(v.description()))
                    .append(v.isDefault() ? " <em>(default)</em>" : "")
                    .append("</td><td>")
                    .append("<form method=\"post\" class=\"inline\" action=\"")
                    .append(text(r.action()))
                    .append("\">")
                    .append(r.csrfField())
                    .append("<input type=\"hidden\" name=\"name\" value=\"")
                    .append(text(v.name()))
                    .append("\">");
            if (bool) {
                boolean on = Boolean.parseBoolean(v.value());
                sb.append("<select id=\"")
                        .append(id)
                        .append("\" name=\"value\"><option value=\"true\"")
                        .append(on ? " selected" : "")
                        .append(">on</option><option value=\"false\"")
                        .append(on ? "" : " selected")
                        .append(">off</option></select>");
            } else {
                sb.append("<input id=\"")
                        .append(id)
                        .append("\" name=\"value\" value=\"")
                        .append(text(v.value()))
                        .append("\">");
            }
            sb.append("<button type=\"submit\">Save</button></form></td></tr>");
        }
        sb.append("</tbody></table>");
        return PageReply.ok(sb.toString());
    }

    @Override
    public PageReply submit(PageRequest r) {
        String name = r.param("name");
        ctx.operations().setSetting(name, r.param("value"), r.actor());
        return PageReply.done("Saved " + name + ".");
    }
}
