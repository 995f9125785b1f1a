package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.opencmg.pki.CertificateValidatorTest.assertRefused;

import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.ReasonFlags;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** RFC 5280 section 6.3: CRLs that are not simply "signed by the key that issued the certificate". */
class RevocationPathsTest {

    static final Instant NOW = Instant.now();
    static final ValidationOptions HARD = new ValidationOptions(EkuRequirement.CLIENT, true, NOW);
    static final ValidationOptions SOFT = HARD.withRevocationMode(RevocationMode.SOFT);

    static final IssuedCertificate ROOT =
            CertificateBuilder.rootCa("Paths Root").build();
    static final X509CRL ROOT_CRL = CrlBuilder.issuedBy(ROOT).build();

    static ValidationResult validate(
            X509Certificate leaf, List<X509Certificate> chain, List<X509CRL> crls, ValidationOptions options) {
        return validate(leaf, chain, crls, options, ROOT.certificate());
    }

    static ValidationResult validate(
            X509Certificate leaf,
            List<X509Certificate> chain,
            List<X509CRL> crls,
            ValidationOptions options,
            X509Certificate root) {
        return new CertificateValidator(CrlSource.NONE)
                .validate(
                        List.of(leaf),
                        TrustMaterial.of(root).withIntermediates(chain).withCrls(crls),
                        options);
    }

    @Nested
    class KeyRollover {
        // An AD CS issuing CA renewed with a new key: same name, new certificate from the root, new CRLs signed
        // with the new key only, while certificates issued under the old key are still in use.
        final IssuedCertificate oldCa =
                CertificateBuilder.intermediateCa("Issuing CA", ROOT).build();
        final IssuedCertificate newCa =
                CertificateBuilder.intermediateCa("Issuing CA", ROOT).build();
        final IssuedCertificate oldDevice =
                CertificateBuilder.leaf("old-device", oldCa).clientAuth().build();
        final IssuedCertificate stolen =
                CertificateBuilder.leaf("stolen-old-device", oldCa).clientAuth().build();

        @Test
        void certificateOfTheOldKeyIsCheckedAgainstTheCrlOfTheNewKey() {
            X509CRL crl = CrlBuilder.issuedBy(newCa).build();

            assertThat(validate(
                                    oldDevice.certificate(),
                                    List.of(oldCa.certificate(), newCa.certificate()),
                                    List.of(ROOT_CRL, crl),
                                    HARD)
                            .isValid())
                    .isTrue();
        }

        @Test
        void certificateRevokedInTheCrlOfTheNewKeyIsRevoked() {
            X509CRL crl =
                    CrlBuilder.issuedBy(newCa).revoke(stolen.certificate()).build();

            assertRefused(
                    validate(
                            stolen.certificate(),
                            List.of(oldCa.certificate(), newCa.certificate()),
                            List.of(ROOT_CRL, crl),
                            HARD),
                    RefusalReason.REVOKED,
                    "CN=stolen-old-device");
        }

        @Test
        void crlOfTheNewKeyWhoseCertificateIsUnknownLeavesTheStatusUnknown() {
            X509CRL crl = CrlBuilder.issuedBy(newCa).build();

            assertRefused(
                    validate(oldDevice.certificate(), List.of(oldCa.certificate()), List.of(ROOT_CRL, crl), HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=old-device");
        }

        @Test
        void selfIssuedRootRolloverNewWithOldCertificateLinksTheNewKeyToTheOldAnchor() {
            IssuedCertificate oldRoot = CertificateBuilder.rootCa("Rolled Root").build();
            KeyPair newKey = Keys.ecP256();
            IssuedCertificate newWithOld = CertificateBuilder.intermediateCa("Rolled Root", oldRoot)
                    .keyPair(newKey)
                    .build();
            IssuedCertificate newRoot = new IssuedCertificate(newWithOld.certificate(), newKey.getPrivate());
            IssuedCertificate device = CertificateBuilder.leaf("rolled-device", newRoot)
                    .clientAuth()
                    .build();
            IssuedCertificate revoked = CertificateBuilder.leaf("rolled-revoked", newRoot)
                    .clientAuth()
                    .build();
            X509CRL byNewKey =
                    CrlBuilder.issuedBy(newRoot).revoke(revoked.certificate()).build();

            // After the rollover only the new key signs CRLs: they cover the new-with-old link certificate too.
            List<X509Certificate> chain = List.of(newWithOld.certificate());
            assertThat(validate(device.certificate(), chain, List.of(byNewKey), HARD, oldRoot.certificate())
                            .isValid())
                    .isTrue();
            assertRefused(
                    validate(revoked.certificate(), chain, List.of(byNewKey), HARD, oldRoot.certificate()),
                    RefusalReason.REVOKED,
                    "CN=rolled-revoked");
        }
    }

    @Nested
    class SeparateCrlSigner {
        final IssuedCertificate ca =
                CertificateBuilder.intermediateCa("Signing CA", ROOT).build();
        final IssuedCertificate device =
                CertificateBuilder.leaf("device", ca).clientAuth().build();

        @Test
        void crlSignedByAnotherCertificateOfTheSameNameWithCrlSignIsUsed() {
            IssuedCertificate crlSigner = CertificateBuilder.intermediateCa("Signing CA", ROOT)
                    .keyUsage(KeyUsage.cRLSign)
                    .build();
            X509CRL crl =
                    CrlBuilder.issuedBy(crlSigner).revoke(device.certificate()).build();

            assertRefused(
                    validate(
                            device.certificate(),
                            List.of(ca.certificate(), crlSigner.certificate()),
                            List.of(ROOT_CRL, crl),
                            HARD),
                    RefusalReason.REVOKED,
                    "CN=device");
        }

        @Test
        void crlSignerWithoutCrlSignKeyUsageIsNotTrusted() {
            IssuedCertificate notASigner = CertificateBuilder.intermediateCa("Signing CA", ROOT)
                    .keyUsage(KeyUsage.keyCertSign)
                    .build();
            X509CRL crl = CrlBuilder.issuedBy(notASigner).build();

            assertRefused(
                    validate(
                            device.certificate(),
                            List.of(ca.certificate(), notASigner.certificate()),
                            List.of(ROOT_CRL, crl),
                            HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }
    }

    @Nested
    class CrlRules {
        final IssuedCertificate ca =
                CertificateBuilder.intermediateCa("Rules CA", ROOT).build();
        final IssuedCertificate device =
                CertificateBuilder.leaf("device", ca).clientAuth().build();

        @Test
        void crlWithANumberFromACaWithCrlSignIsUsed() {
            assertThat(validate(
                                    device.certificate(),
                                    List.of(ca.certificate()),
                                    List.of(
                                            ROOT_CRL,
                                            CrlBuilder.issuedBy(ca).number(1).build()),
                                    HARD)
                            .isValid())
                    .isTrue();
        }

        @Test
        void crlWithoutACrlNumberIsNotRelied() {
            X509CRL unnumbered = CrlBuilder.issuedBy(ca).noNumber().build();

            assertRefused(
                    validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL, unnumbered), HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "has no CRL number");
        }

        @Test
        void crlOfACaWithoutCrlSignKeyUsageIsNotRelied() {
            IssuedCertificate noCrlSign = CertificateBuilder.intermediateCa("No CRL Sign CA", ROOT)
                    .keyUsage(KeyUsage.keyCertSign)
                    .build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("device", noCrlSign).clientAuth().build();

            assertRefused(
                    validate(
                            leaf.certificate(),
                            List.of(noCrlSign.certificate()),
                            List.of(ROOT_CRL, CrlBuilder.issuedBy(noCrlSign).build()),
                            HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }
    }

    @Nested
    class IndirectCrl {
        final IssuedCertificate ca =
                CertificateBuilder.intermediateCa("Device CA", ROOT).build();
        final IssuedCertificate crlAuthority = CertificateBuilder.intermediateCa("CRL Authority", ROOT)
                .keyUsage(KeyUsage.cRLSign)
                .build();
        final IssuedCertificate device = CertificateBuilder.leaf("device", ca)
                .clientAuth()
                .indirectCrlDistributionPoint("http://crl.example/indirect.crl", crlAuthority.certificate())
                .build();
        final IssuedCertificate stolen = CertificateBuilder.leaf("stolen", ca)
                .clientAuth()
                .indirectCrlDistributionPoint("http://crl.example/indirect.crl", crlAuthority.certificate())
                .build();
        final X509CRL indirect = CrlBuilder.issuedBy(crlAuthority)
                .distributionPoint("http://crl.example/indirect.crl")
                .revokeOnBehalf(stolen.certificate())
                .build();
        final List<X509Certificate> chain = List.of(ca.certificate(), crlAuthority.certificate());

        @Test
        void certificateNotOnTheIndirectCrlIsValid() {
            assertThat(validate(device.certificate(), chain, List.of(ROOT_CRL, indirect), HARD)
                            .isValid())
                    .isTrue();
        }

        @Test
        void certificateOnTheIndirectCrlIsRevoked() {
            assertRefused(
                    validate(stolen.certificate(), chain, List.of(ROOT_CRL, indirect), HARD),
                    RefusalReason.REVOKED,
                    "CN=stolen");
        }

        @Test
        void crlOfTheAuthorityWithoutTheIndirectFlagDoesNotCoverTheDeviceCa() {
            X509CRL direct = CrlBuilder.issuedBy(crlAuthority)
                    .distributionPoint("http://crl.example/indirect.crl")
                    .build();

            assertRefused(
                    validate(device.certificate(), chain, List.of(ROOT_CRL, direct), HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }
    }

    @Nested
    class DistributionPointScope {
        final IssuedCertificate ca =
                CertificateBuilder.intermediateCa("Partitioned CA", ROOT).build();
        final IssuedCertificate device = CertificateBuilder.leaf("device", ca)
                .clientAuth()
                .crlDistributionPoint("http://crl.example/part1.crl")
                .build();

        @Test
        void crlOfTheSamePartitionCovers() {
            X509CRL part1 = CrlBuilder.issuedBy(ca)
                    .distributionPoint("http://crl.example/part1.crl")
                    .build();

            assertThat(validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL, part1), HARD)
                            .isValid())
                    .isTrue();
        }

        @Test
        void crlOfAnotherPartitionDoesNotCover() {
            X509CRL part2 = CrlBuilder.issuedBy(ca)
                    .distributionPoint("http://crl.example/part2.crl")
                    .build();

            assertRefused(
                    validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL, part2), HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }

        @Test
        void crlLimitedToSomeReasonsAloneDoesNotCoverAllReasons() {
            X509CRL keyCompromiseOnly = CrlBuilder.issuedBy(ca)
                    .distributionPoint("http://crl.example/part1.crl")
                    .onlySomeReasons(ReasonFlags.keyCompromise)
                    .build();

            assertRefused(
                    validate(
                            device.certificate(),
                            List.of(ca.certificate()),
                            List.of(ROOT_CRL, keyCompromiseOnly),
                            HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }
    }

    @Nested
    class DeltaCrl {
        final IssuedCertificate ca =
                CertificateBuilder.intermediateCa("Delta CA", ROOT).build();
        final IssuedCertificate device =
                CertificateBuilder.leaf("device", ca).clientAuth().build();
        final X509CRL base = CrlBuilder.issuedBy(ca).number(10).build();

        @Test
        void certificateRevokedOnlyInTheDeltaIsRevoked() {
            X509CRL delta = CrlBuilder.issuedBy(ca)
                    .number(11)
                    .deltaOf(10)
                    .revoke(device.certificate())
                    .build();

            assertRefused(
                    validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL, base, delta), HARD),
                    RefusalReason.REVOKED,
                    "CN=device");
        }

        @Test
        void emptyDeltaOnTopOfTheBaseIsValid() {
            X509CRL delta = CrlBuilder.issuedBy(ca).number(11).deltaOf(10).build();

            assertThat(validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL, base, delta), HARD)
                            .isValid())
                    .isTrue();
        }

        @Test
        void deltaAloneIsNotACompleteCrl() {
            X509CRL delta = CrlBuilder.issuedBy(ca).number(11).deltaOf(10).build();

            assertRefused(
                    validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL, delta), HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }
    }

    @Nested
    class Modes {
        final IssuedCertificate ca =
                CertificateBuilder.intermediateCa("Mode CA", ROOT).build();
        final IssuedCertificate device =
                CertificateBuilder.leaf("device", ca).clientAuth().build();

        @Test
        void hardModeRefusesWhenNoCrlCanBeObtained() {
            assertRefused(
                    validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL), HARD),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }

        @Test
        void softModeLetsACertificateWithoutObtainableCrlPassWithAWarning() {
            CertificateValidator validator = new CertificateValidator(CrlSource.NONE);
            ValidationResult result = validator.validate(
                    List.of(device.certificate()),
                    TrustMaterial.of(ROOT.certificate())
                            .withIntermediates(List.of(ca.certificate()))
                            .withCrls(List.of(ROOT_CRL)),
                    SOFT);

            assertThat(result.isValid()).isTrue();
            assertThat(((ValidationResult.Valid) result).warnings())
                    .singleElement()
                    .asString()
                    .contains("CN=device", "soft");
            assertThat(validator.softRevocationPasses()).isEqualTo(1);
        }

        @Test
        void softModeStillRefusesARevokedLeafBelowACaWhoseCrlIsMissing() {
            X509CRL caCrl = CrlBuilder.issuedBy(ca).revoke(device.certificate()).build();

            assertRefused(
                    validate(device.certificate(), List.of(ca.certificate()), List.of(caCrl), SOFT),
                    RefusalReason.REVOKED,
                    "CN=device");
        }

        @Test
        void softModeStillRefusesACrlThatIsThereButStale() {
            X509CRL stale = CrlBuilder.issuedBy(ca)
                    .thisUpdate(NOW.minusSeconds(7200))
                    .nextUpdate(NOW.minusSeconds(3600))
                    .build();

            assertRefused(
                    validate(device.certificate(), List.of(ca.certificate()), List.of(ROOT_CRL, stale), SOFT),
                    RefusalReason.REVOCATION_UNKNOWN,
                    "CN=device");
        }
    }
}
