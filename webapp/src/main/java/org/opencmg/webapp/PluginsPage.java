package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;

/** The plugins the gateway found: version, state, error, and the pages they add. */
final class PluginsPage implements AdminPage {

    private final ConsoleContext ctx;

    PluginsPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "plugins";
    }

    @Override
    public String title() {
        return "Plugins";
    }

    @Override
    public PageReply render(PageRequest r) {
        var sb = new StringBuilder(
                        "<p>Plugins are JARs in the plugins directory, loaded at start.</p><table><thead><tr>")
                .append(
                        "<th scope=\"col\">Plugin</th><th scope=\"col\">Version</th><th scope=\"col\">State</th><th scope=\"col\">Error</th>")
                .append("<th scope=\"col\">Pages</th></tr></thead><tbody>");
        for (var p : ctx.plugins().get()) {
            sb.append("<tr><th scope=\"row\">")
                    .append(text(p.id()))
                    .append("</th><td>")
                    .append(text(p.version()))
                    .append("</td><td>")
                    .append("<span class=\"state ")
                    .append("STARTED".equals(p.state()) ? "up" : "down")
                    .append("\">")
                    .append(text(p.state()))
                    .append("</span></td><td>")
                    .append(text(p.error()))
                    .append("</td><td>");
            for (var c : ctx.pluginPages()) {
                if (c.pluginId().equals(p.id())) {
                    sb.append("<a href=\"/plugins/")
                            .append(text(c.pluginId()))
                            .append('/')
                            .append(text(c.page().path()))
                            .append("\">")
                            .append(text(c.page().title()))
                            .append("</a> ");
                }
            }
            sb.append("</td></tr>");
        }
        return PageReply.ok(sb.append("</tbody></table>").toString());
    }
}
