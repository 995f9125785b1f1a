package org.opencmg.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "endpoint", description = "List, publish and unpublish URL mappings.",
        subcommands = {EndpointCommand.ListEndpoints.class, EndpointCommand.Publish.class, EndpointCommand.Unpublish.class})
final class EndpointCommand {

    @Command(name = "list", description = "The published endpoints.")
    static final class ListEndpoints extends AdminCall {
        @Option(names = "--json", description = "Print JSON (external_path, internal_url, site, methods, auth, max_request_bytes, ...).")
        boolean json;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var rows = api.get("endpoints");
            if (json) {
                out.println(rows.toPrettyString());
            } else {
                Table.print(out, rows, "external_path", "internal_url", "site", "methods", "auth", "max_request_bytes");
            }
        }
    }

    @Command(name = "publish", description = "Publish (or replace) one URL mapping.")
    static final class Publish extends AdminCall {
        @Option(names = "--external", required = true, description = "External path prefix, e.g. /CCM_Proxy_MutualAuth/72057594037927939/CCM_System")
        String external;
        @Option(names = "--internal", required = true, description = "Internal URL, e.g. https://mp.corp.example/CCM_System")
        String internal;
        @Option(names = "--site", required = true, description = "Site code whose connection points serve it.")
        String site;
        @Option(names = "--name", description = "Short name (default: last path segment).")
        String name;
        @Option(names = "--methods", split = ",", description = "Allowed methods (default: GET,HEAD,POST,PUT,PROPFIND,CCM_POST,BITS_POST).")
        List<String> methods;
        @Option(names = "--auth", split = ",", description = "Accepted auth methods (default: pki).")
        List<String> auth;
        @Option(names = "--max-request-bytes", description = "Largest request body (default: 5 MiB).")
        Long maxRequestBytes;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var body = new LinkedHashMap<String, Object>();
            body.put("external_path", external);
            body.put("internal_url", internal);
            body.put("site", site);
            body.put("name", name);
            body.put("methods", methods);
            body.put("auth", auth);
            body.put("max_request_bytes", maxRequestBytes);
            var result = api.post("endpoints", new ObjectMapper().writeValueAsString(body).getBytes(StandardCharsets.UTF_8),
                    "application/json");
            out.println("published " + result.path("external_path").asText() + " -> " + result.path("internal_url").asText()
                    + " (site " + result.path("site").asText() + ")");
        }
    }

    @Command(name = "unpublish", description = "Remove a URL mapping.")
    static final class Unpublish extends AdminCall {
        @Parameters(paramLabel = "EXTERNAL_PATH")
        String external;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            api.delete("endpoints?external_path=" + AdminClient.encode(external));
            out.println("unpublished " + external);
        }
    }
}
