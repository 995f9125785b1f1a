package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.opencmg.pki.CertificateValidatorTest.assertRefused;

import java.io.IOException;
import java.net.ServerSocket;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RevocationTest {

    final Instant now = Instant.now();
    final IssuedCertificate root = CertificateBuilder.rootCa("Revoking Root").build();
    final IssuedCertificate device =
            CertificateBuilder.leaf("device", root).clientAuth().build();
    final IssuedCertificate revokedDevice =
            CertificateBuilder.leaf("stolen", root).clientAuth().build();
    final X509CRL crl =
            CrlBuilder.issuedBy(root).revoke(revokedDevice.certificate()).build();
    final ValidationOptions withRevocation = new ValidationOptions(EkuRequirement.CLIENT, true, now);

    CrlServer cdp;
    CrlCache cache;

    @BeforeEach
    void startDistributionPoint() throws IOException {
        cdp = new CrlServer();
        cache = new CrlCache(Duration.ofSeconds(5), Duration.ofSeconds(60));
    }

    @AfterEach
    void stopDistributionPoint() {
        cdp.close();
    }

    ValidationResult validateUploaded(IssuedCertificate leaf, List<X509CRL> uploaded) {
        return new CertificateValidator(CrlSource.NONE)
                .validate(
                        List.of(leaf.certificate()),
                        TrustMaterial.of(root.certificate()).withCrls(uploaded),
                        withRevocation);
    }

    ValidationResult validateFetched(IssuedCertificate leaf) {
        return new CertificateValidator(cache)
                .validate(List.of(leaf.certificate()), TrustMaterial.of(root.certificate()), withRevocation);
    }

    @Test
    void certificateOnAnUploadedCrlIsRevoked() {
        ValidationResult result = validateUploaded(revokedDevice, List.of(crl));

        assertRefused(result, RefusalReason.REVOKED, "CN=stolen");
        assertThat(((ValidationResult.Refused) result).detail())
                .contains(revokedDevice
                        .certificate()
                        .getSerialNumber()
                        .toString(16)
                        .toUpperCase());
    }

    @Test
    void certificateNotOnACurrentUploadedCrlIsValid() {
        assertThat(validateUploaded(device, List.of(crl)).isValid()).isTrue();
    }

    @Test
    void revocationOffLetsARevokedCertificatePass() {
        ValidationResult result = new CertificateValidator(CrlSource.NONE)
                .validate(
                        List.of(revokedDevice.certificate()),
                        TrustMaterial.of(root.certificate()).withCrls(List.of(crl)),
                        new ValidationOptions(EkuRequirement.CLIENT, false, now));

        assertThat(result.isValid()).isTrue();
    }

    @Test
    void noCrlAnywhereIsRevocationUnknown() {
        ValidationResult result = validateUploaded(device, List.of());

        assertRefused(result, RefusalReason.REVOCATION_UNKNOWN, "CN=device");
        assertThat(((ValidationResult.Refused) result).detail())
                .contains("none uploaded", "no http distribution point");
    }

    @Test
    void crlPastItsNextUpdateIsNotUsed() {
        X509CRL stale = CrlBuilder.issuedBy(root)
                .thisUpdate(now.minus(Duration.ofDays(10)))
                .nextUpdate(now.minus(Duration.ofDays(1)))
                .build();

        ValidationResult result = validateUploaded(device, List.of(stale));

        assertRefused(
                result,
                RefusalReason.REVOCATION_UNKNOWN,
                "valid until " + stale.getNextUpdate().toInstant());
    }

    @Test
    void crlJustPastItsNextUpdateIsNotUsedEither() {
        // The JDK alone would still accept it: it allows 15 minutes of clock skew on nextUpdate.
        X509CRL justStale = CrlBuilder.issuedBy(root)
                .thisUpdate(now.minus(Duration.ofDays(7)))
                .nextUpdate(now.minus(Duration.ofMinutes(5)))
                .build();

        assertRefused(validateUploaded(device, List.of(justStale)), RefusalReason.REVOCATION_UNKNOWN, "CN=device");
    }

    @Test
    void crlOfAnotherCaDoesNotCover() {
        IssuedCertificate otherCa = CertificateBuilder.rootCa("Revoking Root").build(); // same name, other key

        assertRefused(
                validateUploaded(device, List.of(CrlBuilder.issuedBy(otherCa).build())),
                RefusalReason.REVOCATION_UNKNOWN,
                "CN=device");
    }

    @Test
    void everyCertificateOfThePathNeedsACrl() {
        IssuedCertificate ca =
                CertificateBuilder.intermediateCa("Issuing CA", root).build();
        IssuedCertificate leaf =
                CertificateBuilder.leaf("deep", ca).clientAuth().build();
        TrustMaterial trust = TrustMaterial.of(root.certificate()).withIntermediates(List.of(ca.certificate()));
        CertificateValidator validator = new CertificateValidator(CrlSource.NONE);

        ValidationResult leafCrlOnly = validator.validate(
                List.of(leaf.certificate()),
                trust.withCrls(List.of(CrlBuilder.issuedBy(ca).build())),
                withRevocation);
        ValidationResult both = validator.validate(
                List.of(leaf.certificate()),
                trust.withCrls(List.of(
                        CrlBuilder.issuedBy(ca).build(),
                        CrlBuilder.issuedBy(root).build())),
                withRevocation);
        ValidationResult caRevoked = validator.validate(
                List.of(leaf.certificate()),
                trust.withCrls(List.of(
                        CrlBuilder.issuedBy(ca).build(),
                        CrlBuilder.issuedBy(root).revoke(ca.certificate()).build())),
                withRevocation);

        assertRefused(leafCrlOnly, RefusalReason.REVOCATION_UNKNOWN, "CN=Issuing CA");
        assertThat(both.isValid()).isTrue();
        assertRefused(caRevoked, RefusalReason.REVOKED, "CN=Issuing CA");
    }

    @Test
    void crlFetchedFromTheDistributionPointSignedByTheRenewedKeyOfTheIssuerIsUsed() {
        IssuedCertificate oldCa =
                CertificateBuilder.intermediateCa("Renewing CA", root).build();
        IssuedCertificate newCa =
                CertificateBuilder.intermediateCa("Renewing CA", root).build();
        IssuedCertificate good = CertificateBuilder.leaf("good", oldCa)
                .clientAuth()
                .crlDistributionPoint(cdp.url("ca.crl"))
                .build();
        IssuedCertificate bad = CertificateBuilder.leaf("bad", oldCa)
                .clientAuth()
                .crlDistributionPoint(cdp.url("ca.crl"))
                .build();
        cdp.serve(CrlBuilder.issuedBy(newCa).revoke(bad.certificate()).build());
        TrustMaterial trust = TrustMaterial.of(root.certificate())
                .withIntermediates(List.of(oldCa.certificate(), newCa.certificate()))
                .withCrls(List.of(crl));
        CertificateValidator validator = new CertificateValidator(cache);

        ValidationResult valid = validator.validate(List.of(good.certificate()), trust, withRevocation);
        assertThat(valid.isValid()).isTrue();
        assertThat(((ValidationResult.Valid) valid).crls())
                .extracting(ValidationResult.CrlUsed::source)
                .containsExactlyInAnyOrder("uploaded", cdp.url("ca.crl"));
        assertRefused(
                validator.validate(List.of(bad.certificate()), trust, withRevocation), RefusalReason.REVOKED, "CN=bad");
    }

    @Test
    void deltaCrlFetchedFromTheFreshestCrlPointRevokes() throws IOException {
        try (CrlServer deltas = new CrlServer()) {
            IssuedCertificate leaf = CertificateBuilder.leaf("delta-revoked", root)
                    .clientAuth()
                    .crlDistributionPoint(cdp.url("base.crl"))
                    .freshestCrl(deltas.url("delta.crl"))
                    .build();
            cdp.serve(CrlBuilder.issuedBy(root).number(100).build());
            deltas.serve(CrlBuilder.issuedBy(root)
                    .number(101)
                    .deltaOf(100)
                    .revoke(leaf.certificate())
                    .build());

            ValidationResult result = validateFetched(leaf);

            assertRefused(result, RefusalReason.REVOKED, "CN=delta-revoked");
            assertThat(deltas.fetches()).isEqualTo(1);
        }
    }

    @Test
    void crlFetchedFromTheDistributionPointRevokesAndIsCachedUntilNextUpdate() {
        IssuedCertificate stolen = CertificateBuilder.leaf("stolen", root)
                .clientAuth()
                .crlDistributionPoint(cdp.url("root.crl"))
                .build();
        cdp.serve(CrlBuilder.issuedBy(root).revoke(stolen.certificate()).build());

        ValidationResult first = validateFetched(stolen);
        ValidationResult second = validateFetched(stolen);

        assertRefused(first, RefusalReason.REVOKED, "CN=stolen");
        assertRefused(second, RefusalReason.REVOKED, "CN=stolen");
        assertThat(cdp.fetches()).isEqualTo(1);
        assertThat(cache.status()).singleElement().satisfies(s -> {
            assertThat(s.url()).isEqualTo(cdp.url("root.crl"));
            assertThat(s.fetchedAt()).isNotNull();
            assertThat(s.lastError()).isNull();
        });
    }

    @Test
    void crlFetchedFromTheDistributionPointLetsAGoodCertificatePass() {
        cdp.serve(crl);
        IssuedCertificate good = CertificateBuilder.leaf("good", root)
                .clientAuth()
                .crlDistributionPoint(cdp.url("root.crl"))
                .build();

        assertThat(validateFetched(good).isValid()).isTrue();
    }

    @Test
    void deadDistributionPointIsRevocationUnknownAndNotHammered() {
        cdp.fail();
        IssuedCertificate leaf = CertificateBuilder.leaf("device", root)
                .clientAuth()
                .crlDistributionPoint(cdp.url("root.crl"))
                .build();

        ValidationResult first = validateFetched(leaf);
        ValidationResult second = validateFetched(leaf);

        assertRefused(first, RefusalReason.REVOCATION_UNKNOWN, cdp.url("root.crl"));
        assertRefused(second, RefusalReason.REVOCATION_UNKNOWN, "CN=device");
        assertThat(cdp.fetches()).isEqualTo(1);
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).contains("503"));
    }

    @Test
    void onlyTheCrlSourceFetchesNeverTheJdkItself() {
        cdp.serve(crl);
        IssuedCertificate leaf = CertificateBuilder.leaf("device", root)
                .clientAuth()
                .crlDistributionPoint(cdp.url("root.crl"))
                .build();

        ValidationResult result = new CertificateValidator(CrlSource.NONE)
                .validate(List.of(leaf.certificate()), TrustMaterial.of(root.certificate()), withRevocation);

        assertRefused(result, RefusalReason.REVOCATION_UNKNOWN, cdp.url("root.crl"));
        assertThat(cdp.fetches()).isZero();
    }

    @Test
    void unreachableDistributionPointIsRevocationUnknown() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        IssuedCertificate leaf = CertificateBuilder.leaf("device", root)
                .clientAuth()
                .crlDistributionPoint("http://127.0.0.1:" + closedPort + "/root.crl")
                .build();

        assertRefused(validateFetched(leaf), RefusalReason.REVOCATION_UNKNOWN, "CN=device");
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).isNotBlank());
    }

    @Test
    void staleCrlServedByTheDistributionPointIsNotUsed() {
        cdp.serve(CrlBuilder.issuedBy(root)
                .thisUpdate(now.minus(Duration.ofDays(10)))
                .nextUpdate(now.minus(Duration.ofDays(1)))
                .build());
        IssuedCertificate leaf = CertificateBuilder.leaf("device", root)
                .clientAuth()
                .crlDistributionPoint(cdp.url("root.crl"))
                .build();

        assertRefused(validateFetched(leaf), RefusalReason.REVOCATION_UNKNOWN, "CN=device");
        assertThat(cache.status())
                .singleElement()
                .satisfies(s -> assertThat(s.lastError()).contains("stale"));
    }
}
