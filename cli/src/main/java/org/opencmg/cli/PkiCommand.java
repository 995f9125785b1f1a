package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.opencmg.pki.CertificateValidator;
import org.opencmg.pki.CrlCache;
import org.opencmg.pki.CrlSource;
import org.opencmg.pki.DevPki;
import org.opencmg.pki.EkuRequirement;
import org.opencmg.pki.PemFiles;
import org.opencmg.pki.RevocationMode;
import org.opencmg.pki.Thumbprints;
import org.opencmg.pki.TrustMaterial;
import org.opencmg.pki.ValidationOptions;
import org.opencmg.pki.ValidationResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "pki",
        description = "Development PKI and certificate troubleshooting.",
        subcommands = {PkiCommand.Init.class, PkiCommand.Verify.class})
final class PkiCommand {

    @Command(
            name = "init",
            description =
                    "Make a development CA with gateway, channel, connection point, admin and client certificates (PEM).")
    static final class Init implements Callable<Integer> {
        @Option(
                names = "--dir",
                required = true,
                paramLabel = "DIR",
                description = "Folder for the PEM files (made if missing; existing files are kept).")
        Path dir;

        @Option(
                names = "--dns",
                split = ",",
                paramLabel = "NAME",
                description = "Extra DNS names for the gateway certificates.")
        List<String> dns = new ArrayList<>();

        @Option(
                names = "--client",
                paramLabel = "NAME",
                description = "Also a client-authentication certificate NAME.pem "
                        + "(e.g. a second connection point); repeatable.")
        List<String> clients = new ArrayList<>();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            DevPki pki = DevPki.init(dir, dns);
            for (String name : clients) {
                if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
                    throw new IllegalArgumentException("--client takes a plain name, not " + name);
                }
                pki.ensureClient(name);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("development PKI in " + pki.dir().toAbsolutePath());
            out.println("  CA:               " + pki.caCert());
            out.println("  gateway:          " + pki.gatewayCert());
            out.println("  channel:          " + pki.channelCert());
            out.println("  connection point: " + pki.connectionPointCert());
            out.println("  device client:    " + pki.clientCert());
            out.println("  admin client:     " + pki.adminCert());
            for (String name : clients) {
                out.println("  client " + name + ": " + pki.dir().resolve(name + ".pem"));
            }
            return 0;
        }
    }

    /**
     * Runs the very validator the auth-pki plugin runs. Exit 0: valid; 1: refused, reason code on
     * the first line; 2: usage or unreadable input.
     */
    @Command(name = "verify", description = "Validate a client (or server) certificate the way the gateway does.")
    static final class Verify implements Callable<Integer> {
        @Option(
                names = "--roots",
                required = true,
                paramLabel = "FILE",
                description = "Trusted roots (PEM bundle or DER).")
        Path roots;

        @Option(
                names = "--intermediates",
                paramLabel = "FILE",
                description = "Intermediate CA certificates to build the chain with (PEM bundle).")
        Path intermediates;

        @Option(names = "--crl", paramLabel = "FILE", description = "A CRL (repeatable).")
        List<Path> crls = new ArrayList<>();

        @Option(
                names = "--check-revocation",
                description = "Check CRLs (given ones, then the certificate's CRL distribution points).")
        boolean checkRevocation;

        @Option(
                names = "--revocation-mode",
                paramLabel = "hard|soft",
                description =
                        "hard (default): no current CRL refuses; soft: a CRL that cannot be obtained passes with a warning.")
        String revocationMode = "hard";

        @Option(
                names = "--max-chain-depth",
                paramLabel = "N",
                description = "Most certificates below the root (default: 8, as the gateway).")
        int maxChainDepth = ValidationOptions.DEFAULT_MAX_CHAIN_DEPTH;

        @Option(names = "--at", paramLabel = "ISO-TIME", description = "Validate as of this instant (default: now).")
        String at;

        @Option(
                names = "--eku",
                paramLabel = "client|server|any",
                description = "Required extended key usage (default: client).")
        String eku = "client";

        @Parameters(
                paramLabel = "LEAF",
                description = "The certificate to check; further certificates in the file are its chain.")
        Path leaf;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            EkuRequirement requirement;
            Instant when;
            List<X509Certificate> chain;
            TrustMaterial trust;
            ValidationOptions options;
            try {
                requirement = EkuRequirement.valueOf(eku.toUpperCase());
                when = at == null ? Clock.systemUTC().instant() : Instant.parse(at);
                chain = PemFiles.readCertificates(leaf);
                if (chain.isEmpty()) {
                    throw new IOException(leaf + ": no certificate");
                }
                var crlList = new ArrayList<X509CRL>();
                for (Path p : crls) {
                    crlList.addAll(PemFiles.readCrls(p));
                }
                trust = new TrustMaterial(
                        PemFiles.readCertificates(roots),
                        intermediates == null ? List.of() : PemFiles.readCertificates(intermediates),
                        Set.of(),
                        crlList);
                options = new ValidationOptions(
                        requirement, checkRevocation, when, RevocationMode.parse(revocationMode), maxChainDepth);
            } catch (IllegalArgumentException | DateTimeParseException e) {
                err.println("usage: " + e.getMessage());
                return 2;
            } catch (IOException e) {
                err.println("unreadable input: " + e.getMessage());
                return 2;
            }
            CrlSource fetched =
                    checkRevocation ? new CrlCache(Duration.ofSeconds(5), Duration.ofSeconds(60)) : CrlSource.NONE;
            var result = new CertificateValidator(fetched).validate(chain, trust, options);
            switch (result) {
                case ValidationResult.Valid v -> {
                    out.println("valid");
                    out.println("subject:  "
                            + chain.getFirst().getSubjectX500Principal().getName());
                    out.println("sha256:   " + Thumbprints.sha256(chain.getFirst()));
                    out.println(
                            "anchor:   " + v.anchor().getSubjectX500Principal().getName());
                    out.println("path:     " + v.path().size() + " certificate(s) below the anchor");
                    printPath(out, v.path());
                    out.println(
                            "  [anchor] " + v.anchor().getSubjectX500Principal().getName() + "  (sha256 "
                                    + Thumbprints.sha256(v.anchor()) + ")");
                    out.println("revocation "
                            + (checkRevocation
                                    ? "checked (" + options.revocationMode().code() + " mode)"
                                    : "not checked"));
                    printCrls(out, v.crls());
                    v.warnings().forEach(w -> out.println("warning: " + w));
                    return 0;
                }
                case ValidationResult.Refused r -> {
                    out.println(r.reason().code());
                    out.println(r.detail());
                    if (!r.path().isEmpty()) {
                        out.println("path built before the refusal:");
                        printPath(out, r.path());
                    }
                    printCrls(out, r.crls());
                    return 1;
                }
            }
        }

        private static void printPath(PrintWriter out, List<X509Certificate> path) {
            for (int i = 0; i < path.size(); i++) {
                X509Certificate c = path.get(i);
                out.println("  [" + i + "] " + c.getSubjectX500Principal().getName() + "  (issuer "
                        + c.getIssuerX500Principal().getName() + ", serial "
                        + c.getSerialNumber().toString(16).toUpperCase()
                        + ", until " + c.getNotAfter().toInstant() + ")");
            }
        }

        private static void printCrls(PrintWriter out, List<ValidationResult.CrlUsed> crls) {
            for (var crl : crls) {
                out.println("  crl " + (crl.delta() ? "(delta) " : "") + crl.issuer() + "  number "
                        + (crl.number() == null ? "none" : crl.number()) + ", thisUpdate " + crl.thisUpdate()
                        + ", nextUpdate " + (crl.nextUpdate() == null ? "none" : crl.nextUpdate()) + ", from "
                        + crl.source());
            }
        }
    }
}
