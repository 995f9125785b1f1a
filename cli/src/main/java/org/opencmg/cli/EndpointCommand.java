package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.server.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "endpoint",
        description = "List, publish and unpublish URL mappings; set their quotas (budgets).",
        subcommands = {
            EndpointCommand.ListEndpoints.class,
            EndpointCommand.Publish.class,
            EndpointCommand.Unpublish.class,
            QuotaCommand.class
        })
final class EndpointCommand {

    @Command(name = "list", description = "The published endpoints.")
    static final class ListEndpoints extends AdminCall {
        @Option(
                names = "--json",
                description = "Print JSON (external_path, internal_url, site, methods, auth, max_request_bytes, ...).")
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

    @Command(
            name = "publish",
            description = {
                "Publish (or replace) one URL mapping, or with --role every mapping of a site "
                        + "role instance as its role plugin defines them.",
                "  publish --external PATH --internal URL --site S        one mapping",
                "  publish --role mp|sup --role-id ID --internal BASE-URL --site S   a role's mappings",
                "  publish --external PATH --role KIND --internal URL --site S   one mapping, role headers"
            })
    static final class Publish extends AdminCall {
        @Option(
                names = "--external",
                description = "External path prefix, e.g. /CCM_Proxy_MutualAuth/72057594037927939/CCM_System")
        String external;

        @Option(
                names = "--internal",
                required = true,
                description = "Internal URL, e.g. https://mp.corp.example/CCM_System "
                        + "(with --role: the role server's base URL, e.g. https://mp.corp.example)")
        String internal;

        @Option(
                names = "--role",
                paramLabel = "KIND",
                description =
                        "A role plugin's kind (mp, sup): publish its mappings "
                                + "(with --role-id), or with --external one mapping whose site sees the request headers that role declares.")
        String role;

        @Option(
                names = "--role-id",
                paramLabel = "ID",
                description = "With --role: the role instance's ID (e.g. 72057594037927939).")
        String roleId;

        @Option(names = "--site", required = true, description = "Site code whose connection points serve it.")
        String site;

        @Option(names = "--name", description = "Short name (default: last path segment).")
        String name;

        @Option(
                names = "--methods",
                split = ",",
                description = "Allowed methods (default: GET,HEAD,POST,PUT,PROPFIND,CCM_POST,BITS_POST).")
        List<String> methods;

        @Option(names = "--auth", split = ",", description = "Accepted auth methods (default: pki).")
        List<String> auth;

        @Option(names = "--max-request-bytes", description = "Largest request body (default: 5 MiB).")
        Long maxRequestBytes;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            if (role == null && external == null || role != null && (external == null) == (roleId == null)) {
                throw new IllegalArgumentException(
                        "give --external PATH (one mapping) or --role KIND --role-id ID (a role's mappings)");
            }
            if (external == null) {
                if (roleId == null) {
                    throw new IllegalArgumentException("--role needs --role-id");
                }
                var body = new LinkedHashMap<String, Object>();
                body.put("role", role);
                body.put("role_id", roleId);
                body.put("site", site);
                body.put("internal_url", internal);
                var published = api.post(
                        "endpoints",
                        Json.MAPPER.writeValueAsString(body).getBytes(StandardCharsets.UTF_8),
                        "application/json");
                for (var e : published) {
                    out.println("published " + e.path("external_path").asText() + " -> "
                            + e.path("internal_url").asText() + " (site "
                            + e.path("site").asText() + ", role " + role + ":" + roleId + ")");
                }
                return;
            }
            var body = new LinkedHashMap<String, Object>();
            body.put("external_path", external);
            body.put("internal_url", internal);
            body.put("site", site);
            body.put("name", name);
            body.put("methods", methods);
            body.put("auth", auth);
            body.put("max_request_bytes", maxRequestBytes);
            if (role != null) {
                body.put("role_kind", role);
            }
            var result = api.post(
                    "endpoints",
                    Json.MAPPER.writeValueAsString(body).getBytes(StandardCharsets.UTF_8),
                    "application/json");
            out.println("published " + result.path("external_path").asText() + " -> "
                    + result.path("internal_url").asText() + " (site "
                    + result.path("site").asText() + ")");
        }
    }

    @Command(
            name = "unpublish",
            description = "Remove a URL mapping, or with --role-id every mapping of a role instance.")
    static final class Unpublish extends AdminCall {
        @Parameters(
                paramLabel = "EXTERNAL_PATH",
                arity = "0..1",
                description = "The external path prefix of the mapping (as listed by endpoint list).")
        String external;

        @Option(
                names = "--role-id",
                paramLabel = "ID",
                description = "Remove every mapping published for this role instance.")
        String roleId;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            if ((roleId == null) == (external == null)) {
                throw new IllegalArgumentException("give EXTERNAL_PATH or --role-id ID");
            }
            if (roleId != null) {
                var r = api.delete("endpoints?role_id=" + AdminClient.encode(roleId));
                out.println("unpublished " + r.path("unpublished").asInt() + " mappings of role ID " + roleId);
                return;
            }
            api.delete("endpoints?external_path=" + AdminClient.encode(external));
            out.println("unpublished " + external);
        }
    }
}
