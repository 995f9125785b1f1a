package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.server.json.Json;
import org.opencmg.server.store.Quota;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "quota",
        description = {
            "An endpoint's budgets: requests and egress bytes per window, for the endpoint as a whole "
                    + "and for each device on it.",
            "At the warning threshold a metric and a dashboard alert; at a budget 429 with Retry-After for that endpoint "
                    + "(or that device) only, until the window ends."
        },
        subcommands = {QuotaCommand.ListQuotas.class, QuotaCommand.Set.class, QuotaCommand.Remove.class})
final class QuotaCommand {

    @Command(name = "list", description = "Every endpoint's budgets and their use in the current window.")
    static final class ListQuotas extends AdminCall {
        @Option(
                names = "--json",
                description =
                        "Print JSON (external_path, window, requests, egress_bytes, device_requests, "
                                + "device_egress_bytes, warn_percent, use: {window_start, window_end, requests, egress_bytes, busiest_device_...}).")
        boolean json;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var rows = api.get("quotas");
            if (json) {
                out.println(rows.toPrettyString());
                return;
            }
            var table = Json.MAPPER.createArrayNode();
            for (JsonNode q : rows) {
                var use = q.path("use");
                table.addObject()
                        .put("external_path", q.path("external_path").asText())
                        .put("window", q.path("window").asText())
                        .put("requests", used(use.path("requests"), q.path("requests")))
                        .put("egress_bytes", used(use.path("egress_bytes"), q.path("egress_bytes")))
                        .put(
                                "per_device_requests",
                                used(use.path("busiest_device_requests"), q.path("device_requests")))
                        .put(
                                "per_device_egress_bytes",
                                used(use.path("busiest_device_egress_bytes"), q.path("device_egress_bytes")))
                        .put("warn", q.path("warn_percent").asInt() + "%");
            }
            out.println(
                    "Use in the current window against each budget (per device: the busiest device on this instance).");
            Table.print(
                    out,
                    table,
                    "external_path",
                    "window",
                    "requests",
                    "egress_bytes",
                    "per_device_requests",
                    "per_device_egress_bytes",
                    "warn");
        }

        private static String used(JsonNode used, JsonNode budget) {
            return budget.isNull() || budget.isMissingNode() ? "-" : used.asLong() + "/" + budget.asLong();
        }
    }

    @Command(
            name = "set",
            description = {
                "Set (or replace) an endpoint's budgets; every instance applies them within a second.",
                "  quota set /CCM_Proxy_MutualAuth/72057594037927939/CCM_System --window 1h --device-requests 600 --egress 50GiB"
            })
    static final class Set extends AdminCall {
        @Parameters(paramLabel = "EXTERNAL_PATH", description = "The published endpoint (as endpoint list shows it).")
        String external;

        @Option(
                names = "--window",
                required = true,
                paramLabel = "WINDOW",
                description = "The window the budgets are for: 30s, 15m, "
                        + "1h, 1d (10s to 31d; windows start on the Unix epoch, a day at 00:00 UTC).")
        String window;

        @Option(
                names = "--requests",
                paramLabel = "N",
                description = "Requests per window for the endpoint as a whole.")
        Long requests;

        @Option(
                names = "--egress",
                paramLabel = "SIZE",
                description = "Bytes of answers per window for the endpoint as a whole " + "(1000000, 500MB, 10GiB).")
        String egress;

        @Option(
                names = "--device-requests",
                paramLabel = "N",
                description = "Requests per window for each device on the endpoint.")
        Long deviceRequests;

        @Option(
                names = "--device-egress",
                paramLabel = "SIZE",
                description = "Bytes of answers per window for each device on the endpoint.")
        String deviceEgress;

        @Option(
                names = "--warn",
                paramLabel = "PERCENT",
                description = "Warn at this share of a budget (1-100, default 80).")
        Integer warn;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var body = new LinkedHashMap<String, Object>();
            body.put("external_path", external);
            body.put("window", window);
            body.put("requests", requests);
            body.put("egress_bytes", egress == null ? null : Quota.parseBytes(egress));
            body.put("device_requests", deviceRequests);
            body.put("device_egress_bytes", deviceEgress == null ? null : Quota.parseBytes(deviceEgress));
            body.put("warn_percent", warn);
            var q = api.post("quotas", Json.MAPPER.writeValueAsBytes(body), "application/json");
            out.println("quota of " + q.path("external_path").asText() + " per "
                    + q.path("window").asText() + ": "
                    + budget(q, "requests", "requests") + ", " + budget(q, "egress_bytes", "egress bytes")
                    + "; per device "
                    + budget(q, "device_requests", "requests") + ", " + budget(q, "device_egress_bytes", "egress bytes")
                    + "; warning at " + q.path("warn_percent").asInt() + "%");
        }

        private static String budget(JsonNode q, String field, String what) {
            return q.path(field).isNull() ? "any " + what : q.path(field).asLong() + " " + what;
        }
    }

    @Command(
            name = "remove",
            description = "Remove an endpoint's budgets: its requests are no longer counted or refused.")
    static final class Remove extends AdminCall {
        @Parameters(paramLabel = "EXTERNAL_PATH", description = "The endpoint (as quota list shows it).")
        String external;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            api.delete("quotas?external_path=" + AdminClient.encode(external));
            out.println("removed the quota of " + external);
        }
    }
}
