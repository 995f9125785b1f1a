package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.server.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Administrators' client certificates for the admin console (/api/admin-certs). */
@Command(
        name = "admin-cert",
        description = "Client certificates that sign an administrator in to the admin console.",
        subcommands = {AdminCertCommand.Add.class, AdminCertCommand.ListCerts.class, AdminCertCommand.Remove.class})
final class AdminCertCommand {

    @Command(
            name = "add",
            description =
                    "Register a certificate (PEM): its holder signs in to the console as USER, without a password.")
    static final class Add extends AdminCall {
        @Option(
                names = "--user",
                required = true,
                paramLabel = "USER",
                description = "The administrator this certificate signs in as.")
        String user;

        @Option(names = "--cert", required = true, paramLabel = "FILE", description = "The certificate (PEM).")
        Path cert;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var body = Json.MAPPER.writeValueAsBytes(Map.of("user", user, "certificate", Files.readString(cert)));
            var c = api.post("admin-certs", body, "application/json");
            out.println("registered " + c.path("subject").asText() + " for "
                    + c.path("user").asText() + " (sha256 "
                    + c.path("thumbprint_sha256").asText() + ")");
        }
    }

    @Command(name = "list", description = "Registered admin certificates.")
    static final class ListCerts extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            Table.print(out, api.get("admin-certs"), "thumbprint_sha256", "user", "subject", "not_after");
        }
    }

    @Command(name = "remove", description = "Forget an admin certificate.")
    static final class Remove extends AdminCall {
        @Parameters(
                paramLabel = "THUMBPRINT",
                description = "The certificate's SHA-256 thumbprint (hex; case and colons do not matter).")
        String thumbprint;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            api.delete("admin-certs/" + AdminClient.encode(thumbprint));
            out.println("removed " + thumbprint);
        }
    }
}
