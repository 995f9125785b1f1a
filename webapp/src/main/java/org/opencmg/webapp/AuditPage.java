package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;

/** The audit log: who changed what, when; filtered by actor, action, time range and text. */
final class AuditPage implements AdminPage {

    static final int LIMIT = 500;

    private final ConsoleContext ctx;

    AuditPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "audit";
    }

    @Override
    public String title() {
        return "Audit log";
    }

    @Override
    public PageReply render(PageRequest r) {
        Instant from = time(r.param("from"), "from");
        Instant to = time(r.param("to"), "to");
        var entries = ctx.services().audit().search(r.param("actor"), r.param("action"), from, to, r.param("q"), LIMIT);
        var sb = new StringBuilder(
                        "<form method=\"get\" action=\"/audit\" class=\"filters\" role=\"search\" aria-label=\"Filter the audit log\">")
                .append(field("actor", "Actor", r, "text"))
                .append(field("action", "Action (prefix)", r, "text"))
                .append(field("from", "From (UTC)", r, "datetime-local"))
                .append(field("to", "To (UTC)", r, "datetime-local"))
                .append(field("q", "Text", r, "search"))
                .append("<button type=\"submit\">Filter</button></form>");
        sb.append("<p>")
                .append(entries.size())
                .append(entries.size() == LIMIT ? " (the newest " + LIMIT + ")" : "")
                .append(" entries.</p>");
        sb.append(
                        "<table id=\"audit\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">Action</th>")
                .append("<th scope=\"col\">Target</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
        for (var e : entries) {
            sb.append("<tr><td>")
                    .append(text(Format.time(e.at())))
                    .append("</td><td>")
                    .append(text(e.actor()))
                    .append("</td><th scope=\"row\">")
                    .append(text(e.action()))
                    .append("</th><td>")
                    .append(text(e.target()))
                    .append("</td><td>")
                    .append(text(e.detail()))
                    .append("</td></tr>");
        }
        return PageReply.ok(sb.append("</tbody></table>").toString());
    }

    private static String field(String name, String label, PageRequest r, String type) {
        return "<span><label for=\"f-" + name + "\">" + text(label) + "</label><input id=\"f-" + name + "\" name=\""
                + name + "\" type=\"" + type + "\" value=\"" + text(r.param(name)) + "\"></span>";
    }

    private static Instant time(String value, String what) {
        if (value.isBlank()) {
            return null;
        }
        try {
            return LocalDateTime.parse(value.strip()).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(what + ": not a date and time (yyyy-mm-ddThh:mm)");
        }
    }
}
