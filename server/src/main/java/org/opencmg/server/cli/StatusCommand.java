package org.opencmg.server.cli;

import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", description = "Instance health, plugins, endpoints and refusal counts.")
final class StatusCommand extends AdminCall {

    @Option(names = "--json")
    boolean json;

    @Override
    void run(AdminClient api, PrintWriter out) throws IOException {
        var s = api.get("status");
        if (json) {
            out.println(s.toPrettyString());
            return;
        }
        out.printf("instance %s  healthy=%s  since %s%n", s.path("instance").asText(), s.path("healthy").asText(),
                s.path("started_at").asText());
        out.printf("client port %s, admin port %s%n", s.path("client_port").asText(), s.path("admin_port").asText());
        out.printf("auth methods: %s%n", s.path("auth_methods"));
        out.println("plugins:");
        Table.print(out, s.path("plugins"), "id", "version", "state", "error");
        out.printf("endpoints: %s, trusted roots: %s%n", s.path("endpoints").asText(), s.path("trusted_roots").asText());
        out.println("refusals:");
        var refusals = s.path("refusals");
        if (refusals.isEmpty()) {
            out.println("(none)");
        }
        refusals.properties().forEach(e -> out.printf("  %-40s %s%n", e.getKey(), e.getValue().asText()));
    }
}
