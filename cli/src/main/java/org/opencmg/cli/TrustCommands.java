package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.opencmg.cli.client.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** roots, ctl and crl: the client-certificate trust the gateway checks devices against. */
final class TrustCommands {

    private TrustCommands() {}

    @Command(
            name = "roots",
            description = "Trusted root and intermediate CA certificates for client certificates.",
            subcommands = {RootsList.class, RootsAdd.class, RootsRemove.class})
    static final class Roots {}

    @Command(
            name = "list",
            description = "Trusted root and intermediate certificates (kind, SHA-256 thumbprint, subject, expiry).")
    static final class RootsList extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            Table.print(out, api.get("roots"), "kind", "thumbprint_sha256", "subject", "not_after");
        }
    }

    @Command(name = "add", description = "Upload a PEM bundle or DER file of root and intermediate CA certificates.")
    static final class RootsAdd extends AdminCall {
        @Parameters(paramLabel = "FILE", description = "PEM bundle or DER certificate file.")
        Path file;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            for (var row : api.post("roots", AdminClient.readFile(file), "application/x-pem-file")) {
                out.println("added " + row.path("kind").asText() + " "
                        + row.path("thumbprint_sha256").asText() + " "
                        + row.path("subject").asText());
            }
        }
    }

    @Command(name = "remove", description = "Remove by SHA-256 or SHA-1 thumbprint.")
    static final class RootsRemove extends AdminCall {
        @Parameters(paramLabel = "THUMBPRINT", description = "SHA-256 or SHA-1 thumbprint (hex), as list shows it.")
        String thumbprint;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            api.delete("roots/" + AdminClient.encode(thumbprint));
            out.println("removed " + thumbprint);
        }
    }

    @Command(
            name = "ctl",
            description =
                    "Certificate trust list: when not empty, only client certificates chaining to these roots pass.",
            subcommands = {CtlList.class, CtlAdd.class, CtlRemove.class})
    static final class Ctl {}

    @Command(
            name = "list",
            description = "Root certificates of the certificate trust list (empty: every trusted root passes).")
    static final class CtlList extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            Table.print(out, api.get("ctl"), "thumbprint_sha256", "subject", "added_at");
        }
    }

    @Command(name = "add", description = "Add the root certificate(s) in FILE to the CTL.")
    static final class CtlAdd extends AdminCall {
        @Parameters(paramLabel = "FILE", description = "PEM bundle or DER root certificate file.")
        Path file;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            for (var row : api.post("ctl", AdminClient.readFile(file), "application/x-pem-file")) {
                out.println("added " + row.path("thumbprint_sha256").asText() + " "
                        + row.path("subject").asText());
            }
        }
    }

    @Command(name = "remove", description = "Remove a root certificate from the CTL by its thumbprint.")
    static final class CtlRemove extends AdminCall {
        @Parameters(paramLabel = "THUMBPRINT", description = "SHA-256 or SHA-1 thumbprint (hex), as list shows it.")
        String thumbprint;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            api.delete("ctl/" + AdminClient.encode(thumbprint));
            out.println("removed " + thumbprint);
        }
    }

    @Command(
            name = "crl",
            description = "Uploaded CRLs (used beside those fetched from CRL distribution points).",
            subcommands = {CrlList.class, CrlAdd.class, CrlRemove.class})
    static final class Crl {}

    @Command(name = "list", description = "Uploaded CRLs (SHA-256, issuer, this and next update).")
    static final class CrlList extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            Table.print(out, api.get("crls"), "sha256", "issuer", "this_update", "next_update");
        }
    }

    @Command(name = "add", description = "Upload a CRL (PEM or DER); it replaces an older CRL of the same issuer.")
    static final class CrlAdd extends AdminCall {
        @Parameters(paramLabel = "FILE", description = "CRL file (PEM or DER).")
        Path file;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var row = api.post("crls", AdminClient.readFile(file), "application/pkix-crl");
            out.println("added CRL " + row.path("sha256").asText() + " of "
                    + row.path("issuer").asText());
        }
    }

    @Command(name = "remove", description = "Remove an uploaded CRL by its SHA-256.")
    static final class CrlRemove extends AdminCall {
        @Parameters(paramLabel = "SHA256", description = "The CRL's SHA-256 (hex), as crl list shows it.")
        String sha256;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            api.delete("crls/" + AdminClient.encode(sha256));
            out.println("removed " + sha256);
        }
    }
}
