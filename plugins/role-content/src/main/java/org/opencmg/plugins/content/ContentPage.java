package org.opencmg.plugins.content;

import static org.opencmg.api.Html.text;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.opencmg.api.AdminPage;
import org.opencmg.api.Html;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.api.PluginContext;
import org.pf4j.Extension;

/**
 * The console page of content packages ({@code /plugins/role-content/packages}): every version with
 * its files, from the catalog, and an upload form; the console's upload script streams the file to
 * {@code POST /api/content/<package>/files/<name>} ({@link ContentAdmin}) with the session's CSRF
 * token and shows the progress.
 */
@Extension
public final class ContentPage implements AdminPage {

    private final Catalog catalog;

    public ContentPage(PluginContext context) {
        this.catalog = Content.of(context).catalog;
    }

    @Override
    public String path() {
        return "packages";
    }

    @Override
    public String title() {
        return "Content";
    }

    @Override
    public PageReply render(PageRequest r) {
        var sb = new StringBuilder("<h2>Packages</h2>");
        List<Catalog.VersionEntry> versions = catalog.versions(null);
        if (versions.isEmpty()) {
            sb.append("<p id=\"no-packages\">No package yet.</p>");
        } else {
            sb.append("<table id=\"packages\"><thead><tr><th scope=\"col\">Package</th><th scope=\"col\">Version</th>")
                    .append(
                            "<th scope=\"col\">Files</th><th scope=\"col\">Size</th><th scope=\"col\">Created</th></tr></thead><tbody>");
            // Every file in one read, by version, not one read per version.
            Map<String, List<Catalog.FileEntry>> filesOf = catalog.allFiles().stream()
                    .sorted(Comparator.comparing(Catalog.FileEntry::name))
                    .collect(Collectors.groupingBy(f -> f.packageId() + "/" + f.version()));
            for (Catalog.VersionEntry v : versions) {
                List<Catalog.FileEntry> files = filesOf.getOrDefault(v.packageId() + "/" + v.version(), List.of());
                sb.append("<tr><th scope=\"row\">")
                        .append(text(v.packageId()))
                        .append("</th><td>")
                        .append(v.version())
                        .append("</td><td><ul class=\"plain\">");
                for (Catalog.FileEntry f : files) {
                    sb.append("<li>")
                            .append(text(f.name()))
                            .append(" <span class=\"muted\">")
                            .append(Html.bytes(f.size()))
                            .append("</span></li>");
                }
                sb.append("</ul></td><td>")
                        .append(Html.bytes(files.stream()
                                .mapToLong(Catalog.FileEntry::size)
                                .sum()))
                        .append("</td><td>")
                        .append(text(v.createdAt()))
                        .append(" by ")
                        .append(text(v.createdBy()))
                        .append("</td></tr>");
            }
            sb.append("</tbody></table>");
        }
        sb.append(
                        "<h2 id=\"upload-h\">Upload a file</h2><p>Streamed to the gateway whatever its size; the gateway computes its SHA-256.</p>")
                .append("<form id=\"upload\" class=\"stack\" aria-labelledby=\"upload-h\" data-csrf=\"")
                .append(text(r.csrfToken()))
                .append("\" data-upload-url=\"/api/content/{package}/files/{name}\">")
                .append(
                        "<label for=\"package\">Package ID</label><input id=\"package\" name=\"package\" required pattern=\"[A-Za-z0-9_-]{1,64}\">")
                .append(
                        "<label for=\"version\">Version (empty: a new one)</label><input id=\"version\" name=\"version\" inputmode=\"numeric\">")
                .append("<label for=\"file\">File</label><input id=\"file\" name=\"file\" type=\"file\" required>")
                .append("<button type=\"submit\">Upload</button>")
                .append(
                        "<label for=\"progress\">Progress</label><progress id=\"progress\" max=\"100\" value=\"0\">0 %</progress>")
                .append("<output id=\"upload-status\" for=\"file\" aria-live=\"polite\"></output></form>")
                .append("<script src=\"/assets/upload.js\"></script>");
        return PageReply.ok(sb.toString());
    }
}
