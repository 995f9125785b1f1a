package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.opencmg.api.AdminPage;
import org.opencmg.api.Html;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.pipeline.QuotaStep;
import org.opencmg.server.store.Quota;
import org.opencmg.server.store.TrafficStore;

/**
 * Traffic per endpoint over the 5-minute windows of the last 24 hours: a bar chart of requests
 * with a line of bytes out (egress), drawn as inline SVG on the server, and the totals; above
 * them, each budgeted endpoint's use against its quota in the current window.
 */
final class TrafficPage implements AdminPage {

    static final Duration WINDOW = Duration.ofMinutes(5);
    static final int WINDOWS = 288; // 24 h
    private static final int W = 864;
    private static final int H = 160;

    private final ConsoleContext ctx;

    TrafficPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "traffic";
    }

    @Override
    public String title() {
        return "Traffic";
    }

    @Override
    public PageReply render(PageRequest request) {
        Instant now = ctx.services().clock().instant();
        long w = WINDOW.toSeconds();
        Instant last = Instant.ofEpochSecond(now.getEpochSecond() / w * w);
        Instant first = last.minus(WINDOW.multipliedBy(WINDOWS - 1));
        var byEndpoint = new TreeMap<String, TrafficStore.Counts[]>();
        for (var row : ctx.services().traffic().since(first)) {
            int i = (int) (Duration.between(first, row.windowStart()).toSeconds() / w);
            if (i < 0 || i >= WINDOWS) {
                continue;
            }
            var series = byEndpoint.computeIfAbsent(row.endpoint(), k -> new TrafficStore.Counts[WINDOWS]);
            series[i] = series[i] == null ? row.counts() : series[i].plus(row.counts());
        }
        var sb = new StringBuilder();
        sb.append("<p>Requests (bars) and bytes out to devices (line) per 5-minute window, ")
                .append(text(Format.time(first)))
                .append(" to ")
                .append(text(Format.time(last.plus(WINDOW))))
                .append(". Every instance writes its counts every 10 s.</p>");
        budgets(sb);
        if (byEndpoint.isEmpty()) {
            sb.append("<p>No traffic in the last 24 hours.</p>");
            return PageReply.ok(sb.toString());
        }
        sb.append("<h2>Totals</h2><table><thead><tr><th scope=\"col\">Endpoint</th><th scope=\"col\">Requests</th>")
                .append(
                        "<th scope=\"col\">Bytes in</th><th scope=\"col\">Bytes out (egress)</th><th scope=\"col\">2xx</th>")
                .append(
                        "<th scope=\"col\">3xx</th><th scope=\"col\">4xx</th><th scope=\"col\">5xx</th></tr></thead><tbody>");
        var grand = new TrafficStore.Counts(0, 0, 0, 0, 0, 0, 0);
        for (Map.Entry<String, TrafficStore.Counts[]> e : byEndpoint.entrySet()) {
            var t = total(e.getValue());
            grand = grand.plus(t);
            sb.append("<tr><th scope=\"row\"><a href=\"#")
                    .append(text(anchor(e.getKey())))
                    .append("\">")
                    .append(text(e.getKey()))
                    .append("</a></th>")
                    .append(cells(t))
                    .append("</tr>");
        }
        sb.append("</tbody><tfoot><tr><th scope=\"row\">All endpoints</th>")
                .append(cells(grand))
                .append("</tr></tfoot></table>");
        for (Map.Entry<String, TrafficStore.Counts[]> e : byEndpoint.entrySet()) {
            sb.append("<section class=\"chart\" aria-labelledby=\"")
                    .append(text(anchor(e.getKey())))
                    .append("\"><h2 id=\"")
                    .append(text(anchor(e.getKey())))
                    .append("\">")
                    .append(text(e.getKey()))
                    .append("</h2>")
                    .append(chart(e.getKey(), e.getValue(), first))
                    .append("</section>");
        }
        return PageReply.ok(sb.toString());
    }

    /** Each budgeted endpoint's use in its current window against its budgets (the other instances' use included). */
    private void budgets(StringBuilder sb) {
        var uses = ctx.services().quotaUse().use();
        if (uses.isEmpty()) {
            return;
        }
        sb.append(
                        "<h2 id=\"budgets-h\">Use against budgets, current window</h2><p>Set on the <a href=\"/endpoints\">Endpoints</a>")
                .append(
                        " page. Per device: the busiest device on this instance. At 100% the endpoint, or the device, is answered 429")
                .append(" until its window ends.</p><table id=\"budgets\" aria-labelledby=\"budgets-h\"><thead><tr>")
                .append("<th scope=\"col\">Endpoint</th><th scope=\"col\">Window</th><th scope=\"col\">Requests</th>")
                .append("<th scope=\"col\">Egress</th><th scope=\"col\">Busiest device, requests</th>")
                .append("<th scope=\"col\">Busiest device, egress</th></tr></thead><tbody>");
        for (var u : uses) {
            var q = u.quota();
            sb.append("<tr><th scope=\"row\"><code>")
                    .append(text(q.externalPath()))
                    .append("</code></th><td>")
                    .append(text(Quota.formatWindow(q.window()) + ", " + Format.hour(u.windowStart()) + " to "
                            + Format.hour(u.windowEnd())))
                    .append("</td>")
                    .append(budget(
                            u,
                            QuotaStep.Budget.REQUESTS,
                            Long.toString(u.requests()),
                            q.requests() == null ? null : Long.toString(q.requests())))
                    .append(budget(
                            u,
                            QuotaStep.Budget.EGRESS_BYTES,
                            Html.bytes(u.egressBytes()),
                            q.egressBytes() == null ? null : Html.bytes(q.egressBytes())))
                    .append(budget(
                            u,
                            QuotaStep.Budget.DEVICE_REQUESTS,
                            Long.toString(u.busiestDeviceRequests()),
                            q.deviceRequests() == null ? null : Long.toString(q.deviceRequests())))
                    .append(budget(
                            u,
                            QuotaStep.Budget.DEVICE_EGRESS_BYTES,
                            Html.bytes(u.busiestDeviceEgressBytes()),
                            q.deviceEgressBytes() == null ? null : Html.bytes(q.deviceEgressBytes())))
                    .append("</tr>");
        }
        sb.append("</tbody></table>");
    }

    /** "21 of 1000 (2 %)" and a meter, marked when at the warning threshold or over; "—" without that budget. */
    private static String budget(QuotaStep.Use u, QuotaStep.Budget b, String used, String limit) {
        if (limit == null) {
            return "<td>—</td>";
        }
        double ratio = u.ratio(b);
        String state = ratio >= 1 ? "over" : ratio * 100 >= u.quota().warnPercent() ? "warn" : "ok";
        return "<td data-budget=\"" + b.label + "\" data-state=\"" + state + "\">"
                + text(used + " of " + limit + " (" + Math.round(ratio * 100) + " %)")
                + (state.equals("ok") ? "" : state.equals("warn") ? " — warning" : " — refused")
                + " <meter min=\"0\" max=\"1\" low=\"" + u.quota().warnPercent() / 100.0
                + "\" high=\"0.999\" optimum=\"0\" value=\""
                + Math.min(1, ratio) + "\"></meter></td>";
    }

    private static String cells(TrafficStore.Counts t) {
        return "<td>" + t.requests() + "</td><td>" + text(Html.bytes(t.bytesIn())) + "</td><td>"
                + text(Html.bytes(t.bytesOut())) + "</td><td>" + t.s2xx() + "</td><td>" + t.s3xx() + "</td><td>"
                + t.s4xx() + "</td><td>" + t.s5xx() + "</td>";
    }

    private static TrafficStore.Counts total(TrafficStore.Counts[] series) {
        var t = new TrafficStore.Counts(0, 0, 0, 0, 0, 0, 0);
        for (var c : series) {
            if (c != null) {
                t = t.plus(c);
            }
        }
        return t;
    }

    static String anchor(String endpoint) {
        return "ep-" + Integer.toHexString(endpoint.hashCode());
    }

    /** One endpoint's 288 windows: bars of requests, a polyline of bytes out, hour marks every 6 h. */
    static String chart(String endpoint, TrafficStore.Counts[] series, Instant first) {
        long maxReq = 1;
        long maxOut = 1;
        for (var c : series) {
            if (c != null) {
                maxReq = Math.max(maxReq, c.requests());
                maxOut = Math.max(maxOut, c.bytesOut());
            }
        }
        int top = 10;
        int bottom = H - 20;
        double bw = (double) W / WINDOWS;
        var t = total(series);
        var sb = new StringBuilder();
        sb.append("<svg class=\"traffic\" viewBox=\"0 0 ")
                .append(W)
                .append(' ')
                .append(H)
                .append("\" role=\"img\" aria-label=\"")
                .append(text(endpoint + ": " + t.requests() + " requests, " + Html.bytes(t.bytesOut())
                        + " out in 24 hours; at most " + maxReq + " requests in one window"))
                .append("\">");
        sb.append("<line class=\"axis\" x1=\"0\" y1=\"")
                .append(bottom)
                .append("\" x2=\"")
                .append(W)
                .append("\" y2=\"")
                .append(bottom)
                .append("\"/>");
        for (int i = 0; i < WINDOWS; i++) {
            var c = series[i];
            if (c == null || c.requests() == 0) {
                continue;
            }
            double h = (double) c.requests() / maxReq * (bottom - top);
            sb.append(String.format(
                    Locale.ROOT,
                    "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>%s: %d requests, %s out</title></rect>",
                    i * bw,
                    bottom - h,
                    Math.max(1, bw - 0.6),
                    h,
                    text(Format.time(first.plus(WINDOW.multipliedBy(i)))),
                    c.requests(),
                    text(Html.bytes(c.bytesOut()))));
        }
        sb.append("<polyline class=\"egress\" points=\"");
        for (int i = 0; i < WINDOWS; i++) {
            long out = series[i] == null ? 0 : series[i].bytesOut();
            sb.append(String.format(
                    Locale.ROOT, "%.2f,%.2f ", i * bw + bw / 2, bottom - (double) out / maxOut * (bottom - top)));
        }
        sb.append("\"/>");
        for (int i = 0; i < WINDOWS; i += 72) {
            Instant at = first.plus(WINDOW.multipliedBy(i)).truncatedTo(ChronoUnit.MINUTES);
            sb.append(String.format(
                    Locale.ROOT,
                    "<text class=\"tick\" x=\"%.2f\" y=\"%d\">%s</text>",
                    i * bw + 2,
                    H - 5,
                    text(Format.hour(at))));
        }
        sb.append(String.format(
                Locale.ROOT,
                "<text class=\"tick\" x=\"4\" y=\"%d\">max %d req · %s</text>",
                top + 2,
                maxReq,
                text(Html.bytes(maxOut))));
        sb.append("</svg>");
        return sb.toString();
    }
}
