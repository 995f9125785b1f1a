package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.time.Instant;
import java.util.List;
import org.opencmg.api.Html;
import org.opencmg.api.PageRequest;

/** A table of certificates with a remove button each: subject, a column of the page's own, valid until, SHA-256. */
final class CertificateTable {

    /** One certificate: {@code column} is the page's own column's value, {@code remove} the button's accessible name. */
    record Row(String subject, String column, Instant notAfter, String thumbprintSha256, String remove) {}

    private CertificateTable() {}

    /** The table, or {@code empty} (a paragraph) when there is no row; the buttons post to {@code <action><removePath>}. */
    static String render(PageRequest r, String columnTitle, List<Row> rows, String removePath, String empty) {
        if (rows.isEmpty()) {
            return "<p>" + text(empty) + "</p>";
        }
        var sb = new StringBuilder("<table><thead><tr><th scope=\"col\">Subject</th><th scope=\"col\">")
                .append(text(columnTitle))
                .append("</th><th scope=\"col\">Valid until</th><th scope=\"col\">SHA-256</th>")
                .append("<th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
        for (Row c : rows) {
            sb.append("<tr><th scope=\"row\">")
                    .append(text(c.subject()))
                    .append("</th><td>")
                    .append(text(c.column()))
                    .append("</td><td>")
                    .append(text(Format.time(c.notAfter())))
                    .append("</td><td><code class=\"thumb\">")
                    .append(text(c.thumbprintSha256()))
                    .append("</code></td><td>")
                    .append(Html.namedButtonForm(
                            r.action() + removePath,
                            r.csrfToken(),
                            "Remove",
                            c.remove(),
                            "thumbprint",
                            c.thumbprintSha256()))
                    .append("</td></tr>");
        }
        return sb.append("</tbody></table>").toString();
    }
}
