package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.TreeMap;
import org.opencmg.cli.client.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "status",
        description =
                "Instance health, the gateway instances, plugins, endpoints, refusal and dropped request header counts.")
final class StatusCommand extends AdminCall {

    @Option(names = "--json", description = "Print the status as JSON (for scripts) instead of tables.")
    boolean json;

    @Override
    void run(AdminClient api, PrintWriter out) throws IOException {
        var s = api.get("status");
        if (json) {
            out.println(s.toPrettyString());
            return;
        }
        out.printf(
                "instance %s  healthy=%s  since %s%n",
                s.path("instance").asText(),
                s.path("healthy").asText(),
                s.path("started_at").asText());
        out.printf(
                "client port %s, admin port %s, TLS provider %s%n",
                s.path("client_port").asText(),
                s.path("admin_port").asText(),
                s.path("tls_provider").asText());
        out.printf("auth methods: %s%n", s.path("auth_methods"));
        out.println("plugins:");
        Table.print(out, s.path("plugins"), "id", "version", "state", "error");
        out.printf(
                "endpoints: %s, trusted roots: %s%n",
                s.path("endpoints").asText(), s.path("trusted_roots").asText());
        out.println("gateway instances sharing the store (gone: no heartbeat within membership.expiry):");
        Table.print(
                out, s.path("instances"), "instance", "state", "channel_url", "version", "started_at", "heartbeat_at");
        out.println("channels of connection points, as each gateway instance sees them:");
        Table.print(
                out,
                api.get("channels"),
                "connection_point",
                "site",
                "instance",
                "state",
                "since",
                "last_heartbeat",
                "rtt_micros",
                "remote_address");
        out.println("traffic per endpoint, last 24 hours (5-minute windows, all instances):");
        printTraffic(out, api.get("traffic?hours=24"));
        out.println("refusals:");
        var refusals = s.path("refusals");
        if (refusals.isEmpty()) {
            out.println("(none)");
        }
        refusals.properties()
                .forEach(
                        e -> out.printf("  %-40s %s%n", e.getKey(), e.getValue().asText()));
        out.println("failed TLS handshakes (refused before HTTP; this instance):");
        s.path("tls_handshake_failures").properties().forEach(e -> {
            if (e.getValue().asLong() > 0) {
                out.printf("  %-40s %s%n", e.getKey(), e.getValue().asText());
            }
        });
        out.printf(
                "notification channels held (this instance): %s%n",
                s.path("notification_channels").asText("0"));
        out.println("dropped request headers (sent by devices, seen by no site; this instance):");
        var dropped = s.path("dropped_request_headers");
        if (dropped.isEmpty()) {
            out.println("(none)");
        }
        dropped.properties()
                .forEach(
                        e -> out.printf("  %-40s %s%n", e.getKey(), e.getValue().asText()));
    }

    /** Sums the windows per endpoint. */
    private static void printTraffic(PrintWriter out, JsonNode rows) {
        var totals = new TreeMap<String, long[]>();
        for (var r : rows) {
            long[] t = totals.computeIfAbsent(r.path("endpoint").asText(), k -> new long[7]);
            var c = r.path("counts");
            String[] f = {"requests", "bytes_in", "bytes_out", "s2xx", "s3xx", "s4xx", "s5xx"};
            for (int i = 0; i < f.length; i++) {
                t[i] += c.path(f[i]).asLong();
            }
        }
        if (totals.isEmpty()) {
            out.println("(none)");
            return;
        }
        out.printf(
                "  %-60s %9s %12s %12s %7s %7s %7s %7s%n",
                "endpoint", "requests", "bytes in", "bytes out", "2xx", "3xx", "4xx", "5xx");
        totals.forEach((e, t) ->
                out.printf("  %-60s %9d %12d %12d %7d %7d %7d %7d%n", e, t[0], t[1], t[2], t[3], t[4], t[5], t[6]));
    }
}
