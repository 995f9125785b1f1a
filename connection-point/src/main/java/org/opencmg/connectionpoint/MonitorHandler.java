package org.opencmg.connectionpoint;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The monitor listener's answers (plain HTTP, GET or HEAD, no authentication, nothing secret):
 * {@code /health/live} while the process runs, {@code /health/ready} while at least one channel is
 * up and the point is not stopping, {@code /metrics} in Prometheus' text format. It handles only
 * requests of its own connector; the channels' streams go on to the next handler.
 */
final class MonitorHandler extends Handler.Abstract.NonBlocking {

    static final String CONNECTOR = "monitor";

    private final Supplier<List<LinkStatus>> links;
    private final BooleanSupplier stopping;
    private final ExchangeMeter exchanges;
    private final NotificationRelay notifications;
    private final CertificateReloads certificateReloads;

    MonitorHandler(
            Supplier<List<LinkStatus>> links,
            BooleanSupplier stopping,
            ExchangeMeter exchanges,
            NotificationRelay notifications,
            CertificateReloads certificateReloads) {
        this.notifications = notifications;
        this.certificateReloads = certificateReloads;
        this.links = links;
        this.stopping = stopping;
        this.exchanges = exchanges;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!CONNECTOR.equals(request.getConnectionMetaData().getConnector().getName())) {
            return false;
        }
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            return answer(request, response, callback, 405, "text/plain", "method not allowed\n");
        }
        return switch (String.valueOf(request.getHttpURI().getPath())) {
            case "/health", "/health/live" -> answer(request, response, callback, 200, "text/plain", "ok\n");
            case "/health/ready" -> {
                String problem = notReadyBecause();
                yield problem == null
                        ? answer(request, response, callback, 200, "text/plain", "ok\n")
                        : answer(request, response, callback, 503, "text/plain", "unavailable: " + problem + "\n");
            }
            case "/metrics" -> answer(request, response, callback, 200, "text/plain; version=0.0.4", metrics());
            default -> answer(request, response, callback, 404, "text/plain", "not found\n");
        };
    }

    private String notReadyBecause() {
        if (stopping.getAsBoolean()) {
            return "draining";
        }
        return links.get().stream().anyMatch(l -> "up".equals(l.state())) ? null : "no channel up";
    }

    String metrics() {
        var links = this.links.get();
        var out = new StringBuilder();
        gauge(
                out,
                "cmg_cp_channels_up",
                "Channels to gateway instances that are up",
                links.stream().filter(l -> "up".equals(l.state())).count());
        out.append("# HELP cmg_cp_channel_up Whether the channel to one gateway instance is up\n")
                .append("# TYPE cmg_cp_channel_up gauge\n");
        for (LinkStatus l : links) {
            out.append("cmg_cp_channel_up{gateway=\"")
                    .append(label(l.gateway().toString()))
                    .append("\"} ")
                    .append("up".equals(l.state()) ? 1 : 0)
                    .append('\n');
        }
        gauge(out, "cmg_cp_exchanges_in_flight", "Exchanges (device requests) being proxied now", exchanges.inFlight());
        out.append("# HELP cmg_cp_exchanges_forwarded_total Exchanges proxied to an internal server and answered\n")
                .append("# TYPE cmg_cp_exchanges_forwarded_total counter\n")
                .append("cmg_cp_exchanges_forwarded_total ")
                .append(exchanges.forwarded())
                .append('\n');
        out.append("# HELP cmg_cp_exchanges_refused_total Exchanges refused here, by reason\n")
                .append("# TYPE cmg_cp_exchanges_refused_total counter\n");
        exchanges
                .refused()
                .forEach((reason, n) -> out.append("cmg_cp_exchanges_refused_total{reason=\"")
                        .append(label(reason))
                        .append("\"} ")
                        .append(n)
                        .append('\n'));
        out.append(
                        "# HELP cmg_cp_analyzer_exchanges_total Synthetic exchanges of the connection analyzer (not device traffic)\n")
                .append("# TYPE cmg_cp_analyzer_exchanges_total counter\n")
                .append("cmg_cp_analyzer_exchanges_total ")
                .append(exchanges.analyzer())
                .append('\n');
        out.append("# HELP cmg_cp_notifications_total Client notifications posted by the site's senders and relayed\n")
                .append("# TYPE cmg_cp_notifications_total counter\n")
                .append("cmg_cp_notifications_total ")
                .append(notifications.pushed())
                .append('\n');
        out.append(
                        "# HELP cmg_cp_notification_lines_dropped_total Notifications not written to a gateway that left too many unread\n")
                .append("# TYPE cmg_cp_notification_lines_dropped_total counter\n")
                .append("cmg_cp_notification_lines_dropped_total ")
                .append(notifications.dropped())
                .append('\n');
        certificateReloads.appendTo(out);
        return out.toString();
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help)
                .append('\n')
                .append("# TYPE ")
                .append(name)
                .append(" gauge\n")
                .append(name)
                .append(' ')
                .append(value)
                .append('\n');
    }

    /** A label value as the text format wants it: backslash, double quote and line feed escaped. */
    static String label(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static boolean answer(
            Request request, Response response, Callback callback, int status, String type, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type + (type.contains("charset") ? "" : "; charset=utf-8"));
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, "HEAD".equals(request.getMethod()) ? null : ByteBuffer.wrap(bytes), callback);
        return true;
    }
}
