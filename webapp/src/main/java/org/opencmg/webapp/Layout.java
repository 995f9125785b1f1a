package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.util.List;
import org.opencmg.api.Html;

/** The frame of every console page: skip link, header, navigation, messages, main content. */
final class Layout {

    /** A navigation entry. */
    record Link(String href, String title) {}

    private Layout() {}

    static String page(
            String title,
            String bodyHtml,
            List<Link> nav,
            String currentHref,
            String user,
            String csrfToken,
            String message,
            boolean messageFailed) {
        var sb = new StringBuilder(8192);
        sb.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>")
                .append(text(title))
                .append(" · OpenCMG</title>")
                .append("<link rel=\"stylesheet\" href=\"/assets/console.css\"></head><body>")
                .append("<a class=\"skip\" href=\"#main\">Skip to content</a>")
                .append("<header class=\"top\"><span class=\"brand\">OpenCMG admin</span>");
        if (user != null) {
            sb.append("<span class=\"who\">Signed in as <strong>")
                    .append(text(user))
                    .append("</strong></span>")
                    .append("<form method=\"post\" action=\"/logout\" class=\"inline\">")
                    .append(Html.csrfField(csrfToken))
                    .append("<button type=\"submit\">Sign out</button></form>");
        }
        sb.append("</header>");
        if (nav != null && !nav.isEmpty()) {
            sb.append("<nav aria-label=\"Console\"><ul>");
            for (Link l : nav) {
                boolean current = l.href().equals(currentHref);
                sb.append("<li><a href=\"")
                        .append(text(l.href()))
                        .append('"')
                        .append(current ? " aria-current=\"page\"" : "")
                        .append('>')
                        .append(text(l.title()))
                        .append("</a></li>");
            }
            sb.append("</ul></nav>");
        }
        sb.append("<main id=\"main\" tabindex=\"-1\"><h1>").append(text(title)).append("</h1>");
        if (message != null) {
            sb.append(messageFailed ? "<p class=\"msg error\" role=\"alert\">" : "<p class=\"msg ok\" role=\"status\">")
                    .append(text(message))
                    .append("</p>");
        }
        sb.append(bodyHtml).append("</main></body></html>\n");
        return sb.toString();
    }
}
