package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.util.List;
import java.util.Map;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminPage;
import org.opencmg.api.AdminReply;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;

/**
 * Content packages of the role-content plugin (through its admin API), and an upload form: the
 * small script upload.js streams the file to {@code POST /api/content/<package>/files/<name>}
 * with the session's CSRF token and shows the progress.
 */
final class ContentPage implements AdminPage {

    private final ConsoleContext ctx;

    ContentPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "content";
    }

    @Override
    public String title() {
        return "Content";
    }

    @Override
    public PageReply render(PageRequest r) {
        var api = ctx.services().pluginResources().stream().filter(a -> a.name().equals("content")).findFirst();
        if (api.isEmpty()) {
            return PageReply.ok("<p>The role-content plugin is not loaded.</p>");
        }
        AdminReply reply = api.get().handle(new AdminCall("GET", "", Map.of(), new byte[0], r.actor()));
        var sb = new StringBuilder("<h2>Packages</h2>");
        if (reply.status() >= 400 || !(reply.json() instanceof List<?> rows)) {
            sb.append("<p role=\"alert\">The content plugin could not list its packages.</p>");
        } else if (rows.isEmpty()) {
            sb.append("<p id=\"no-packages\">No package yet.</p>");
        } else {
            sb.append("<table id=\"packages\"><thead><tr><th scope=\"col\">Package</th><th scope=\"col\">Version</th><th scope=\"col\">Files</th>")
                    .append("<th scope=\"col\">Size</th><th scope=\"col\">Created</th></tr></thead><tbody>");
            for (Object o : rows) {
                if (!(o instanceof Map<?, ?> m)) {
                    continue;
                }
                sb.append("<tr><th scope=\"row\">").append(text(m.get("package_id"))).append("</th><td>").append(text(m.get("version")))
                        .append("</td><td>");
                if (m.get("files") instanceof List<?> files) {
                    sb.append("<ul class=\"plain\">");
                    for (Object f : files) {
                        if (f instanceof Map<?, ?> fm) {
                            sb.append("<li>").append(text(fm.get("name"))).append(" <span class=\"muted\">")
                                    .append(text(fm.get("size") instanceof Number n ? Format.bytes(n.longValue()) : "")).append("</span></li>");
                        }
                    }
                    sb.append("</ul>");
                }
                sb.append("</td><td>").append(text(m.get("size") instanceof Number n ? Format.bytes(n.longValue()) : ""))
                        .append("</td><td>").append(text(m.get("created_at"))).append(" by ").append(text(m.get("created_by")))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
        }
        sb.append("<h2 id=\"upload-h\">Upload a file</h2><p>Streamed to the gateway whatever its size; the gateway computes its SHA-256.</p>")
                .append("<form id=\"upload\" class=\"stack\" aria-labelledby=\"upload-h\" data-csrf=\"").append(text(r.csrfToken())).append("\">")
                .append("<label for=\"package\">Package ID</label><input id=\"package\" name=\"package\" required pattern=\"[A-Za-z0-9_-]{1,64}\">")
                .append("<label for=\"version\">Version (empty: a new one)</label><input id=\"version\" name=\"version\" inputmode=\"numeric\">")
                .append("<label for=\"file\">File</label><input id=\"file\" name=\"file\" type=\"file\" required>")
                .append("<button type=\"submit\">Upload</button>")
                .append("<label for=\"progress\">Progress</label><progress id=\"progress\" max=\"100\" value=\"0\">0 %</progress>")
                .append("<output id=\"upload-status\" for=\"file\" aria-live=\"polite\"></output></form>")
                .append("<script src=\"/assets/upload.js\"></script>");
        return PageReply.ok(sb.toString());
    }
}
