package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.server.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Which authentication method, mapping, site and connection point would serve a request, or the
 * exact reason it would be refused: the gateway runs its own pipeline steps on it. Exit 0 when it
 * would be served, 1 when refused, 2 on usage or an unreachable admin API.
 */
@Command(
        name = "explain",
        description = {
            "Which auth method, mapping, site and connection point would serve URL, or why not.",
            "Refusals before HTTP are not explained here: a TLS handshake the client connector cannot complete (no common "
                    + "protocol or suite, a certificate the TLS layer rejects, a malformed hello) is counted by reason in "
                    + "cmg_tls_handshake_failures_total and `cmg status`, and logged with the client's address."
        })
final class ExplainCommand implements Callable<Integer> {

    @Mixin
    AdminOptions admin;

    @Spec
    CommandSpec spec;

    @Parameters(
            paramLabel = "URL",
            description = "The request target, e.g. /CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request")
    String url;

    @Option(
            names = {"-X", "--method"},
            defaultValue = "GET",
            description = "The request's HTTP method (default GET).")
    String method;

    @Option(names = "--cert", paramLabel = "FILE", description = "The device's certificate (PEM, chain allowed).")
    Path cert;

    @Option(
            names = "--key",
            paramLabel = "FILE",
            description = "Accepted for symmetry with curl; not needed to explain.")
    Path key;

    @Option(names = "--token", paramLabel = "FILE", description = "A file holding the device's bearer token.")
    Path token;

    @Option(
            names = {"-H", "--header"},
            paramLabel = "'NAME: VALUE'",
            description =
                    "A header the request carries (repeatable): the answer says which ones its site would not see.")
    List<String> headers = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JsonNode e;
        try {
            var body = new LinkedHashMap<String, Object>();
            body.put("url", url);
            body.put("method", method);
            if (cert != null) {
                body.put("certificate", Files.readString(cert));
            }
            if (token != null) {
                body.put("token", Files.readString(token).strip());
            }
            if (!headers.isEmpty()) {
                var h = new LinkedHashMap<String, List<String>>();
                for (String line : headers) {
                    int colon = line.indexOf(':');
                    if (colon <= 0) {
                        err.println("error: --header wants 'NAME: VALUE', got: " + line);
                        return 2;
                    }
                    h.computeIfAbsent(line.substring(0, colon).strip(), k -> new ArrayList<>())
                            .add(line.substring(colon + 1).strip());
                }
                body.put("headers", h);
            }
            e = admin.client().post("explain", Json.MAPPER.writeValueAsBytes(body), "application/json");
        } catch (AdminClient.ApiException x) {
            err.println("refused (" + x.status + "): " + x.getMessage());
            return 2;
        } catch (IOException | GeneralSecurityException x) {
            err.println("error: " + x.getMessage());
            return 2;
        }
        if (e.path("served").asBoolean()) {
            out.println("served");
            print(out, "how", e.path("detail"));
            print(out, "devices", e.path("devices"));
            print(out, "as", e.path("device"));
            print(out, "gateway service", e.path("service"));
            print(out, "mapping", e.path("endpoint"));
            print(out, "internal URL", e.path("internal_url"));
            print(out, "site", e.path("site"));
            print(out, "connection point", e.path("connection_point"));
            print(out, "role headers", e.path("role_headers"));
            print(out, "dropped headers", e.path("dropped_headers"));
            return 0;
        }
        out.println(e.path("status").asInt() + " " + e.path("reason").asText());
        print(out, "detail", e.path("detail"));
        print(out, "devices", e.path("devices"));
        return 1;
    }

    private static void print(PrintWriter out, String label, JsonNode value) {
        if (!value.isMissingNode() && !value.isNull() && !(value.isArray() && value.isEmpty())) {
            out.printf("  %-17s %s%n", label + ":", value.isArray() ? value.toString() : value.asText());
        }
    }
}
