package org.opencmg.webapp;

import static org.opencmg.api.Html.text;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.opencmg.api.AdminPage;
import org.opencmg.api.PageReply;
import org.opencmg.api.PageRequest;
import org.opencmg.server.pipeline.QuotaStep;
import org.opencmg.server.store.ChannelStatusStore.ChannelStatus;
import org.opencmg.server.store.Quota;

/** Instances, connection points and their channels (heartbeat, round-trip time), and alerts. */
final class DashboardPage implements AdminPage {

    static final Duration EXPIRY_WARNING = Duration.ofDays(30);
    /** An active secret older than this is due for rotation (storage keys rotate every 180 days). */
    static final Duration SECRET_AGE_WARNING = Duration.ofDays(170);

    private final ConsoleContext ctx;

    DashboardPage(ConsoleContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String path() {
        return "";
    }

    @Override
    public String title() {
        return "Dashboard";
    }

    @Override
    public PageReply render(PageRequest request) {
        Instant now = ctx.services().clock().instant();
        var channels = ctx.services().channelStatus().list();
        var sb = new StringBuilder();
        sb.append("<section aria-labelledby=\"alerts-h\"><h2 id=\"alerts-h\">Alerts</h2>");
        List<String> alerts = alerts(channels, now);
        if (alerts.isEmpty()) {
            sb.append("<p class=\"good\">No alerts.</p>");
        } else {
            sb.append("<ul class=\"alerts\">");
            alerts.forEach(a -> sb.append("<li>").append(text(a)).append("</li>"));
            sb.append("</ul>");
        }
        sb.append("</section>");

        Map<String, Object> status = ctx.services().status().get();
        sb.append("<section aria-labelledby=\"inst-h\"><h2 id=\"inst-h\">Gateway instances</h2>")
                .append("<table><thead><tr><th scope=\"col\">Instance</th><th scope=\"col\">State</th>")
                .append(
                        "<th scope=\"col\">Channels up</th><th scope=\"col\">Last heartbeat</th><th scope=\"col\">Started</th>")
                .append(
                        "<th scope=\"col\">Version</th><th scope=\"col\">Connection points dial</th></tr></thead><tbody>");
        String self = String.valueOf(status.get("instance"));
        for (Map<?, ?> i : instances(status)) {
            String name = String.valueOf(i.get("instance"));
            String state = String.valueOf(i.get("state"));
            long up = channels.stream()
                    .filter(c -> c.instance().equals(name) && "up".equals(c.state()))
                    .count();
            sb.append("<tr><th scope=\"row\">")
                    .append(text(name))
                    .append(name.equals(self) ? " (this one)" : "")
                    .append("</th><td><span class=\"state ")
                    .append("up".equals(state) ? "up" : "down")
                    .append("\">")
                    .append(text(state))
                    .append("</span></td><td>")
                    .append(up)
                    .append("</td><td>")
                    .append(text(Format.ago(Instant.parse(String.valueOf(i.get("heartbeat_at"))), now)))
                    .append("</td><td>")
                    .append(text(Format.time(Instant.parse(String.valueOf(i.get("started_at"))))))
                    .append("</td><td>")
                    .append(text(i.get("version")))
                    .append("</td><td>")
                    .append(i.get("channel_url") == null ? "—" : text(i.get("channel_url")))
                    .append("</td></tr>");
        }
        sb.append("</tbody></table></section>");

        sb.append("<section aria-labelledby=\"cp-h\"><h2 id=\"cp-h\">Connection points and channels</h2>");
        var points = ctx.services().connectionPoints().list();
        if (points.isEmpty() && channels.isEmpty()) {
            sb.append("<p>No connection point is registered.</p>");
        } else {
            sb.append("<table><thead><tr><th scope=\"col\">Connection point</th><th scope=\"col\">Site</th>")
                    .append("<th scope=\"col\">Instance</th><th scope=\"col\">Channel</th><th scope=\"col\">Since</th>")
                    .append(
                            "<th scope=\"col\">Last heartbeat</th><th scope=\"col\">Round trip</th><th scope=\"col\">From</th></tr></thead><tbody>");
            for (var p : points) {
                var mine = channels.stream()
                        .filter(c -> c.connectionPoint().equals(p.name()))
                        .toList();
                if (mine.isEmpty()) {
                    sb.append("<tr><th scope=\"row\">")
                            .append(text(p.name()))
                            .append("</th><td>")
                            .append(text(p.site()))
                            .append(
                                    "</td><td>—</td><td><span class=\"state down\">never connected</span></td><td colspan=\"4\"></td></tr>");
                }
                for (var c : mine) {
                    sb.append("<tr><th scope=\"row\">")
                            .append(text(p.name()))
                            .append("</th><td>")
                            .append(text(c.site()))
                            .append("</td><td>")
                            .append(text(c.instance()))
                            .append("</td><td><span class=\"state ")
                            .append("up".equals(c.state()) ? "up" : "down")
                            .append("\">")
                            .append(text(c.state()))
                            .append("</span></td><td>")
                            .append(text(Format.time(c.since())))
                            .append("</td><td>")
                            .append(text(Format.ago(c.lastHeartbeat(), now)))
                            .append("</td><td>")
                            .append(
                                    c.rttMicros() == null
                                            ? "—"
                                            : text(String.format(Locale.ROOT, "%.1f ms", c.rttMicros() / 1000.0)))
                            .append("</td><td>")
                            .append(text(c.remoteAddress()))
                            .append("</td></tr>");
                }
            }
            sb.append("</tbody></table>");
        }
        sb.append("</section>");
        sb.append("<section aria-labelledby=\"sum-h\"><h2 id=\"sum-h\">This instance</h2><dl class=\"facts\">")
                .append(fact("Published endpoints", status.get("endpoints")))
                .append(fact("Trusted roots", status.get("trusted_roots")))
                .append(fact("Authentication methods", status.get("auth_methods")))
                .append(fact("Refusals since start", status.get("refusals")))
                .append(fact(
                        "Failed TLS handshakes since start (refused before HTTP)",
                        status.get("tls_handshake_failures")))
                .append(fact("Client notification channels held", status.get("notification_channels")))
                .append("</dl></section>");
        return PageReply.ok(sb.toString());
    }

    private static String fact(String name, Object value) {
        return "<dt>" + text(name) + "</dt><dd>" + text(value) + "</dd>";
    }

    /** The gateway instances sharing the store, as the status reports them. */
    private static List<Map<?, ?>> instances(Map<String, Object> status) {
        var out = new ArrayList<Map<?, ?>>();
        if (status.get("instances") instanceof List<?> list) {
            list.forEach(i -> {
                if (i instanceof Map<?, ?> m) {
                    out.add(m);
                }
            });
        }
        return out;
    }

    /** What needs an administrator's attention. */
    List<String> alerts(List<ChannelStatus> channels, Instant now) {
        var out = new ArrayList<String>();
        for (Map<?, ?> i : instances(ctx.services().status().get())) {
            if ("gone".equals(i.get("state"))) {
                out.add("Gateway instance " + i.get("instance") + " is gone: no heartbeat since "
                        + Format.time(Instant.parse(String.valueOf(i.get("heartbeat_at"))))
                        + " (killed, or cut off from the store).");
            }
        }
        for (var p : ctx.services().connectionPoints().list()) {
            var mine = channels.stream()
                    .filter(c -> c.connectionPoint().equals(p.name()))
                    .toList();
            if (mine.stream().noneMatch(c -> "up".equals(c.state()))) {
                out.add("Connection point " + p.name() + " (site " + p.site()
                        + ") is down: no gateway instance has its channel open.");
            } else {
                mine.stream()
                        .filter(c -> !"up".equals(c.state()))
                        .forEach(c -> out.add("Connection point " + p.name() + " has no channel to instance "
                                + c.instance() + " since " + Format.time(c.since()) + "."));
            }
        }
        for (var crl : ctx.services().trust().crls()) {
            if (crl.nextUpdate() != null && crl.nextUpdate().isBefore(now)) {
                out.add("The uploaded CRL of " + crl.issuer() + " is stale: its next update was due "
                        + Format.time(crl.nextUpdate())
                        + ". Devices it covers are refused (revocation_unknown) while verify-revocation is on.");
            }
        }
        var refusals = ctx.services().status().get().get("refusals");
        if (refusals instanceof Map<?, ?> m
                && m.keySet().stream().anyMatch(k -> String.valueOf(k).contains("revocation_unknown"))) {
            out.add("Some devices were refused with revocation_unknown: a CRL could not be fetched or is out of date.");
        }
        if (ctx.services().status().get().get("auth_counters") instanceof Map<?, ?> counters
                && counters.get("pki") instanceof Map<?, ?> pki
                && pki.get("soft_revocation_passes") instanceof Number n
                && n.longValue() > 0) {
            out.add(n.longValue()
                    + " device certificate(s) passed without a revocation check since this instance started"
                    + " (revocation-mode soft): a CRL could not be obtained. The log names the CAs; `cmg pki verify"
                    + " --check-revocation` shows which CRL is missing.");
        }
        for (var c : ctx.services().trust().list()) {
            expiry(out, "Trusted " + c.kind() + " " + c.subject(), c.notAfter(), now);
        }
        ctx.gatewayCertificates()
                .forEach((name, cert) -> expiry(
                        out,
                        "The " + name + " connector's certificate",
                        cert.getNotAfter().toInstant(),
                        now));
        for (var c : ctx.operations().adminCertificates().list()) {
            expiry(out, "The admin certificate " + c.subject() + " of " + c.user(), c.notAfter(), now);
        }
        quotaAlerts(out);
        for (var s : ctx.services().secrets().list()) {
            if (s.active() && s.createdAt().plus(SECRET_AGE_WARNING).isBefore(now)) {
                out.add("The secret " + s.name() + " (version " + s.version() + ") is "
                        + Duration.between(s.createdAt(), now).toDays() + " days old: rotate it.");
            }
        }
        return out;
    }

    /** Budgets at their warning threshold or spent, in their current window. */
    void quotaAlerts(List<String> out) {
        for (var u : ctx.services().quotaUse().use()) {
            var q = u.quota();
            for (var b : QuotaStep.Budget.values()) {
                double ratio = u.ratio(b);
                boolean device = b.label.startsWith("device_");
                String budget = (device ? "per-device " : "")
                        + b.label.replace("device_", "").replace('_', ' ') + " budget";
                String until = Format.hour(u.windowEnd()) + " UTC";
                if (ratio >= 1) {
                    out.add((device
                                    ? "A device on " + q.externalPath() + " has spent its "
                                    : q.externalPath() + " has spent its ")
                            + budget
                            + " of the current " + Quota.formatWindow(q.window()) + " window: "
                            + (device ? "that device is" : "every device is") + " answered 429 on it until " + until
                            + ".");
                } else if (ratio * 100 >= q.warnPercent()) {
                    out.add((device
                                    ? "A device on " + q.externalPath() + " has used "
                                    : q.externalPath() + " has used ")
                            + Math.round(ratio * 100) + " % of its " + budget + " in the current "
                            + Quota.formatWindow(q.window()) + " window (warning at " + q.warnPercent()
                            + " %; the window ends at " + until + ").");
                }
            }
        }
    }

    private static void expiry(List<String> out, String what, Instant notAfter, Instant now) {
        if (notAfter.isBefore(now)) {
            out.add(what + " expired on " + Format.time(notAfter) + ".");
        } else if (notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
            out.add(what + " expires on " + Format.time(notAfter) + ".");
        }
    }
}
