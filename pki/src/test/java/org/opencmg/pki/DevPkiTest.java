package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevPkiTest {

    @TempDir
    Path dir;

    final CertificateValidator validator = new CertificateValidator(CrlSource.NONE);

    @Test
    void initWritesEveryFileWithPrivateKeysReadableByTheOwnerOnly() throws IOException {
        DevPki pki = DevPki.init(dir, List.of("cmg.example.org"));

        for (Path p : List.of(
                pki.caCert(),
                pki.caKey(),
                pki.caCrl(),
                pki.gatewayCert(),
                pki.gatewayKey(),
                pki.channelCert(),
                pki.channelKey(),
                pki.connectionPointCert(),
                pki.connectionPointKey(),
                pki.clientCert(),
                pki.clientKey(),
                pki.adminCert(),
                pki.adminKey())) {
            assertThat(p).exists().hasParent(dir);
        }
        for (Path key : List.of(
                pki.caKey(),
                pki.gatewayKey(),
                pki.channelKey(),
                pki.connectionPointKey(),
                pki.clientKey(),
                pki.adminKey())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                    .as(key.toString())
                    .isEqualTo("rw-------");
            assertThat(PemFiles.readPrivateKey(key).getAlgorithm()).isEqualTo("EC");
        }
    }

    @Test
    void secondInitReusesTheFiles() throws IOException {
        DevPki first = DevPki.init(dir, List.of());
        byte[] ca = Files.readAllBytes(first.caCert());
        byte[] caKey = Files.readAllBytes(first.caKey());
        byte[] client = Files.readAllBytes(first.clientCert());
        byte[] crl = Files.readAllBytes(first.caCrl());

        DevPki second = DevPki.init(dir, List.of());

        assertThat(Files.readAllBytes(second.caCert())).isEqualTo(ca);
        assertThat(Files.readAllBytes(second.caKey())).isEqualTo(caKey);
        assertThat(Files.readAllBytes(second.clientCert())).isEqualTo(client);
        assertThat(Files.readAllBytes(second.caCrl())).isEqualTo(crl);
    }

    @Test
    void newExtraDnsNameReissuesOnlyTheServerCertificates() throws IOException {
        DevPki first = DevPki.init(dir, List.of());
        byte[] ca = Files.readAllBytes(first.caCert());
        byte[] client = Files.readAllBytes(first.clientCert());

        DevPki second = DevPki.init(dir, List.of("cmg.example.org"));

        assertThat(Files.readAllBytes(second.caCert())).isEqualTo(ca);
        assertThat(Files.readAllBytes(second.clientCert())).isEqualTo(client);
        assertThat(dnsNames(PemFiles.readCertificates(second.gatewayCert()).getFirst()))
                .contains("localhost", "cmg.example.org");
    }

    @Test
    void clientCertificatesValidateForClientAuthentication() throws IOException {
        DevPki pki = DevPki.init(dir, List.of());
        TrustMaterial trust = TrustMaterial.of(
                        PemFiles.readCertificates(pki.caCert()).getFirst())
                .withCrls(PemFiles.readCrls(pki.caCrl()));

        for (Path cert : List.of(pki.clientCert(), pki.connectionPointCert(), pki.adminCert())) {
            ValidationResult result = validator.validate(
                    PemFiles.readCertificates(cert),
                    trust,
                    new ValidationOptions(EkuRequirement.CLIENT, true, Instant.now()));
            assertThat(result.isValid()).as(cert + ": " + result).isTrue();
        }
        assertThat(PemFiles.readCertificates(pki.clientCert())
                        .getFirst()
                        .getSubjectX500Principal()
                        .getName())
                .isEqualTo("CN=demo-client");
    }

    @Test
    void serverCertificatesValidateForServerAuthenticationOnly() throws IOException {
        DevPki pki = DevPki.init(dir, List.of());
        TrustMaterial trust =
                TrustMaterial.of(PemFiles.readCertificates(pki.caCert()).getFirst());

        for (Path cert : List.of(pki.gatewayCert(), pki.channelCert())) {
            List<X509Certificate> chain = PemFiles.readCertificates(cert);
            assertThat(validator
                            .validate(chain, trust, new ValidationOptions(EkuRequirement.SERVER, false, Instant.now()))
                            .isValid())
                    .isTrue();
            assertThat(validator.validate(
                            chain, trust, new ValidationOptions(EkuRequirement.CLIENT, false, Instant.now())))
                    .isInstanceOfSatisfying(
                            ValidationResult.Refused.class,
                            r -> assertThat(r.reason()).isEqualTo(RefusalReason.WRONG_EKU));
            assertThat(dnsNames(chain.getFirst())).containsExactly("localhost");
            assertThat(ipAddresses(chain.getFirst())).containsExactlyInAnyOrder("127.0.0.1", "0:0:0:0:0:0:0:1");
        }
    }

    @Test
    void crlIsEmptyAndValidForThirtyDays() throws IOException {
        DevPki pki = DevPki.init(dir, List.of());

        X509CRL crl = PemFiles.readCrls(pki.caCrl()).getFirst();

        assertThat(crl.getRevokedCertificates()).isNull();
        assertThat(crl.getNextUpdate().toInstant())
                .isBetween(
                        Instant.now().plus(Duration.ofDays(29)), Instant.now().plus(Duration.ofDays(31)));
    }

    private static Set<String> dnsNames(X509Certificate c) {
        return altNames(c, 2);
    }

    private static Set<String> ipAddresses(X509Certificate c) {
        return altNames(c, 7);
    }

    private static Set<String> altNames(X509Certificate c, int type) {
        try {
            Set<String> out = new java.util.LinkedHashSet<>();
            for (List<?> san : c.getSubjectAlternativeNames()) {
                if (Integer.valueOf(type).equals(san.get(0))) {
                    out.add((String) san.get(1));
                }
            }
            return out;
        } catch (java.security.cert.CertificateParsingException e) {
            throw new AssertionError(e);
        }
    }
}
