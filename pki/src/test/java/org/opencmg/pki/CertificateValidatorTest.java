package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CertificateValidatorTest {

    static final IssuedCertificate ROOT = CertificateBuilder.rootCa("Test Root").build();
    static final IssuedCertificate INTERMEDIATE =
            CertificateBuilder.intermediateCa("Test Issuing CA", ROOT).build();
    static final IssuedCertificate CLIENT =
            CertificateBuilder.leaf("device-1", INTERMEDIATE).clientAuth().build();

    final CertificateValidator validator = new CertificateValidator(CrlSource.NONE);
    final Instant now = Instant.now();

    ValidationResult validate(List<X509Certificate> chain, TrustMaterial trust) {
        return validator.validate(chain, trust, new ValidationOptions(EkuRequirement.CLIENT, false, now));
    }

    ValidationResult validateClient(IssuedCertificate leaf, IssuedCertificate... issuers) {
        List<X509Certificate> chain = new java.util.ArrayList<>(List.of(leaf.certificate()));
        for (IssuedCertificate i : issuers) {
            chain.add(i.certificate());
        }
        return validate(chain, TrustMaterial.of(ROOT.certificate()));
    }

    static void assertRefused(ValidationResult result, RefusalReason reason, String detailMentions) {
        assertThat(result).isInstanceOf(ValidationResult.Refused.class);
        ValidationResult.Refused refused = (ValidationResult.Refused) result;
        assertThat(refused.reason()).as(refused.detail()).isEqualTo(reason);
        assertThat(refused.detail()).contains(detailMentions);
    }

    @Nested
    class ChainBuilding {

        @Test
        void leafIntermediateRootChainSentByTheClientIsValid() {
            ValidationResult result = validateClient(CLIENT, INTERMEDIATE);

            assertThat(result).isInstanceOf(ValidationResult.Valid.class);
            ValidationResult.Valid valid = (ValidationResult.Valid) result;
            assertThat(valid.path()).containsExactly(CLIENT.certificate(), INTERMEDIATE.certificate());
            assertThat(valid.anchor()).isEqualTo(ROOT.certificate());
        }

        @Test
        void rootSentAlongWithTheChainIsTolerated() {
            ValidationResult result = validateClient(CLIENT, INTERMEDIATE, ROOT);

            assertThat(result).isInstanceOf(ValidationResult.Valid.class);
            assertThat(((ValidationResult.Valid) result).path()).hasSize(2);
        }

        @Test
        void leafOnlyIsValidWhenTheIntermediateWasUploaded() {
            TrustMaterial trust =
                    TrustMaterial.of(ROOT.certificate()).withIntermediates(List.of(INTERMEDIATE.certificate()));

            ValidationResult result = validate(List.of(CLIENT.certificate()), trust);

            assertThat(result).isInstanceOf(ValidationResult.Valid.class);
            assertThat(((ValidationResult.Valid) result).path())
                    .containsExactly(CLIENT.certificate(), INTERMEDIATE.certificate());
        }

        @Test
        void leafIssuedDirectlyByTheRootIsValid() {
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("direct", ROOT).clientAuth().build();

            assertThat(validateClient(leaf).isValid()).isTrue();
        }

        @Test
        void emptyChainIsNoCertificate() {
            assertRefused(
                    validate(List.of(), TrustMaterial.of(ROOT.certificate())),
                    RefusalReason.NO_CERTIFICATE,
                    "no client certificate");
        }

        @Test
        void chainEndingAtARootThatWasNotUploadedIsUntrusted() {
            IssuedCertificate otherRoot =
                    CertificateBuilder.rootCa("Other Root").build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("stranger", otherRoot).clientAuth().build();

            ValidationResult result = validate(
                    List.of(leaf.certificate(), otherRoot.certificate()), TrustMaterial.of(ROOT.certificate()));

            assertRefused(result, RefusalReason.UNTRUSTED_ROOT, "CN=Other Root");
        }

        @Test
        void selfSignedLeafIsUntrusted() {
            IssuedCertificate selfSigned = CertificateBuilder.rootCa("self").build();

            assertRefused(
                    validate(List.of(selfSigned.certificate()), TrustMaterial.of(ROOT.certificate())),
                    RefusalReason.UNTRUSTED_ROOT,
                    "CN=self");
        }

        @Test
        void missingIntermediateIsAnIncompleteChainThatNamesIt() {
            ValidationResult result = validate(List.of(CLIENT.certificate()), TrustMaterial.of(ROOT.certificate()));

            assertRefused(result, RefusalReason.INCOMPLETE_CHAIN, "CN=Test Issuing CA");
            assertThat(((ValidationResult.Refused) result).detail()).contains("upload the intermediate CA");
        }

        @Test
        void issuerWithTheRightNameButAnotherKeyIsABadSignature() {
            IssuedCertificate impostor =
                    CertificateBuilder.intermediateCa("Test Issuing CA", ROOT).build();

            ValidationResult result = validateClient(CLIENT, impostor);

            assertRefused(result, RefusalReason.BAD_SIGNATURE, "CN=device-1");
        }

        @Test
        void trustedRootPresentedAsTheLeafIsRefused() {
            assertRefused(
                    validate(List.of(ROOT.certificate()), TrustMaterial.of(ROOT.certificate())),
                    RefusalReason.INVALID_PATH,
                    "CN=Test Root");
        }
    }

    @Nested
    class CertificateTrustList {

        @Test
        void rootOutsideANonEmptyCtlIsRefused() {
            IssuedCertificate otherRoot =
                    CertificateBuilder.rootCa("Other Root").build();
            TrustMaterial trust = new TrustMaterial(
                    List.of(ROOT.certificate(), otherRoot.certificate()),
                    List.of(),
                    Set.of(Thumbprints.sha256(otherRoot.certificate())),
                    List.of());

            ValidationResult result = validate(List.of(CLIENT.certificate(), INTERMEDIATE.certificate()), trust);

            assertRefused(result, RefusalReason.NOT_IN_CTL, Thumbprints.sha256(ROOT.certificate()));
        }

        @Test
        void rootInsideTheCtlIsValidWhateverTheThumbprintSpelling() {
            String colonLowerCase =
                    Thumbprints.sha256(ROOT.certificate()).toLowerCase().replaceAll("(..)(?!$)", "$1:");
            TrustMaterial trust = TrustMaterial.of(ROOT.certificate()).withCtl(Set.of(colonLowerCase));

            assertThat(validate(List.of(CLIENT.certificate(), INTERMEDIATE.certificate()), trust)
                            .isValid())
                    .isTrue();
        }
    }

    @Nested
    class Validity {

        @Test
        void expiredLeafIsRefused() {
            IssuedCertificate old = CertificateBuilder.leaf("old", INTERMEDIATE)
                    .clientAuth()
                    .validFrom(now.minus(Duration.ofDays(30)))
                    .validUntil(now.minus(Duration.ofDays(1)))
                    .build();

            assertRefused(validateClient(old, INTERMEDIATE), RefusalReason.EXPIRED, "CN=old");
        }

        @Test
        void notYetValidLeafIsRefused() {
            IssuedCertificate future = CertificateBuilder.leaf("future", INTERMEDIATE)
                    .clientAuth()
                    .validFrom(now.plus(Duration.ofDays(1)))
                    .validity(Duration.ofDays(30))
                    .build();

            assertRefused(validateClient(future, INTERMEDIATE), RefusalReason.NOT_YET_VALID, "CN=future");
        }

        @Test
        void validationTimeComesFromTheOptions() {
            IssuedCertificate future = CertificateBuilder.leaf("future", INTERMEDIATE)
                    .clientAuth()
                    .validFrom(now.plus(Duration.ofDays(1)))
                    .validity(Duration.ofDays(30))
                    .build();
            List<X509Certificate> chain = List.of(future.certificate(), INTERMEDIATE.certificate());
            TrustMaterial trust = TrustMaterial.of(ROOT.certificate());

            ValidationResult inTwoDays = validator.validate(
                    chain, trust, new ValidationOptions(EkuRequirement.CLIENT, false, now.plus(Duration.ofDays(2))));
            ValidationResult inTwoMonths = validator.validate(
                    chain, trust, new ValidationOptions(EkuRequirement.CLIENT, false, now.plus(Duration.ofDays(60))));

            assertThat(inTwoDays.isValid()).isTrue();
            assertRefused(inTwoMonths, RefusalReason.EXPIRED, "CN=future");
        }

        @Test
        void expiredIntermediateIsRefused() {
            IssuedCertificate oldCa = CertificateBuilder.intermediateCa("Old CA", ROOT)
                    .validFrom(now.minus(Duration.ofDays(30)))
                    .validUntil(now.minus(Duration.ofMinutes(5)))
                    .build();
            IssuedCertificate leaf = CertificateBuilder.leaf("leaf", oldCa)
                    .clientAuth()
                    .validFrom(now.minus(Duration.ofDays(20)))
                    .build();

            assertRefused(validateClient(leaf, oldCa), RefusalReason.EXPIRED, "CN=Old CA");
        }

        @Test
        void expiredRootIsRefused() {
            IssuedCertificate oldRoot = CertificateBuilder.rootCa("Old Root")
                    .validFrom(now.minus(Duration.ofDays(30)))
                    .validUntil(now.minus(Duration.ofMinutes(5)))
                    .build();
            IssuedCertificate leaf = CertificateBuilder.leaf("leaf", oldRoot)
                    .clientAuth()
                    .validFrom(now.minus(Duration.ofDays(20)))
                    .build();

            assertRefused(
                    validate(List.of(leaf.certificate()), TrustMaterial.of(oldRoot.certificate())),
                    RefusalReason.EXPIRED,
                    "CN=Old Root");
        }
    }

    @Nested
    class ExtendedKeyUsage {

        final IssuedCertificate serverOnly =
                CertificateBuilder.leaf("web", INTERMEDIATE).serverAuth().build();
        final IssuedCertificate noEku =
                CertificateBuilder.leaf("plain", INTERMEDIATE).noEku().build();

        @Test
        void serverAuthOnlyIsRefusedForClientAuthentication() {
            assertRefused(validateClient(serverOnly, INTERMEDIATE), RefusalReason.WRONG_EKU, "CN=web");
        }

        @Test
        void absentEkuExtensionIsRefusedForClientAuthentication() {
            assertRefused(validateClient(noEku, INTERMEDIATE), RefusalReason.WRONG_EKU, "CN=plain");
        }

        @Test
        void serverRequirementAcceptsServerAuth() {
            ValidationResult result = validator.validate(
                    List.of(serverOnly.certificate(), INTERMEDIATE.certificate()),
                    TrustMaterial.of(ROOT.certificate()),
                    new ValidationOptions(EkuRequirement.SERVER, false, now));

            assertThat(result.isValid()).isTrue();
        }

        @Test
        void anyAcceptsWrongOrMissingEku() {
            for (IssuedCertificate leaf : List.of(serverOnly, noEku)) {
                ValidationResult result = validator.validate(
                        List.of(leaf.certificate(), INTERMEDIATE.certificate()),
                        TrustMaterial.of(ROOT.certificate()),
                        new ValidationOptions(EkuRequirement.ANY, false, now));
                assertThat(result.isValid()).as(leaf.subject()).isTrue();
            }
        }
    }

    @Nested
    class PathRules {

        @Test
        void intermediateWithoutCaBasicConstraintIsNotACa() {
            IssuedCertificate notCa = CertificateBuilder.intermediateCa("Fake CA", ROOT)
                    .basicConstraints(false)
                    .build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("leaf", notCa).clientAuth().build();

            assertRefused(validateClient(leaf, notCa), RefusalReason.NOT_A_CA, "CN=Fake CA");
        }

        @Test
        void intermediateWithoutBasicConstraintsAtAllIsNotACa() {
            IssuedCertificate notCa = CertificateBuilder.intermediateCa("Bare CA", ROOT)
                    .noBasicConstraints()
                    .build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("leaf", notCa).clientAuth().build();

            assertRefused(validateClient(leaf, notCa), RefusalReason.NOT_A_CA, "CN=Bare CA");
        }

        @Test
        void pathLengthConstraintExceeded() {
            IssuedCertificate policyCa = CertificateBuilder.intermediateCa("Policy CA", ROOT)
                    .pathLength(0)
                    .build();
            IssuedCertificate issuingCa =
                    CertificateBuilder.intermediateCa("Issuing CA", policyCa).build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("leaf", issuingCa).clientAuth().build();

            assertRefused(
                    validateClient(leaf, issuingCa, policyCa), RefusalReason.PATH_LENGTH_EXCEEDED, "CN=Issuing CA");
        }

        @Test
        void pathLengthConstraintRespected() {
            IssuedCertificate policyCa = CertificateBuilder.intermediateCa("Policy CA", ROOT)
                    .pathLength(1)
                    .build();
            IssuedCertificate issuingCa = CertificateBuilder.intermediateCa("Issuing CA", policyCa)
                    .pathLength(0)
                    .build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("leaf", issuingCa).clientAuth().build();

            assertThat(validateClient(leaf, issuingCa, policyCa).isValid()).isTrue();
        }

        @Test
        void caKeyUsageWithoutKeyCertSignIsRefused() {
            IssuedCertificate crlOnlyCa = CertificateBuilder.intermediateCa("CRL-only CA", ROOT)
                    .keyUsage(KeyUsage.cRLSign)
                    .build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("leaf", crlOnlyCa).clientAuth().build();

            assertRefused(validateClient(leaf, crlOnlyCa), RefusalReason.INVALID_KEY_USAGE, "CN=CRL-only CA");
        }

        @Test
        void dnsNameOutsideThePermittedSubtreeViolatesNameConstraints() {
            IssuedCertificate constrained = CertificateBuilder.intermediateCa("Contoso CA", ROOT)
                    .permittedDnsSubtree("contoso.com")
                    .build();
            IssuedCertificate inside = CertificateBuilder.leaf("inside", constrained)
                    .clientAuth()
                    .dnsNames("pc1.contoso.com")
                    .build();
            IssuedCertificate outside = CertificateBuilder.leaf("outside", constrained)
                    .clientAuth()
                    .dnsNames("pc1.fabrikam.com")
                    .build();

            assertThat(validateClient(inside, constrained).isValid()).isTrue();
            assertRefused(validateClient(outside, constrained), RefusalReason.NAME_CONSTRAINTS, "CN=outside");
        }

        @Test
        void subjectOutsideThePermittedDirectorySubtreeViolatesNameConstraints() {
            IssuedCertificate constrained = CertificateBuilder.intermediateCa("Contoso CA", ROOT)
                    .permittedDirectorySubtree("O=Contoso")
                    .build();
            IssuedCertificate inside = CertificateBuilder.leaf("x", constrained)
                    .subject("CN=pc1,O=Contoso")
                    .clientAuth()
                    .build();
            IssuedCertificate outside = CertificateBuilder.leaf("x", constrained)
                    .subject("CN=pc1,O=Fabrikam")
                    .clientAuth()
                    .build();

            assertThat(validateClient(inside, constrained).isValid()).isTrue();
            assertRefused(validateClient(outside, constrained), RefusalReason.NAME_CONSTRAINTS, "O=Fabrikam");
        }

        @Test
        void unknownCriticalExtensionOnTheLeafIsRefusedEvenWithAnEku() {
            IssuedCertificate leaf = CertificateBuilder.leaf("odd", INTERMEDIATE)
                    .clientAuth()
                    .criticalExtension("1.3.6.1.4.1.99999.1")
                    .build();

            assertRefused(validateClient(leaf, INTERMEDIATE), RefusalReason.UNKNOWN_CRITICAL_EXTENSION, "CN=odd");
        }

        @Test
        void unknownCriticalExtensionOnTheIntermediateIsRefused() {
            IssuedCertificate oddCa = CertificateBuilder.intermediateCa("Odd CA", ROOT)
                    .criticalExtension("1.3.6.1.4.1.99999.2")
                    .build();
            IssuedCertificate leaf =
                    CertificateBuilder.leaf("leaf", oddCa).clientAuth().build();

            assertRefused(validateClient(leaf, oddCa), RefusalReason.UNKNOWN_CRITICAL_EXTENSION, "CN=Odd CA");
        }

        @Test
        void rsaLeafUnderAnEcCaIsValid() {
            IssuedCertificate leaf = CertificateBuilder.leaf("rsa", INTERMEDIATE)
                    .rsa(2048)
                    .clientAuth()
                    .build();

            assertThat(leaf.certificate().getPublicKey().getAlgorithm()).isEqualTo("RSA");
            assertThat(validateClient(leaf, INTERMEDIATE).isValid()).isTrue();
        }
    }

    @Test
    void refusalCodesAreLowerSnakeCase() {
        assertThat(RefusalReason.UNTRUSTED_ROOT.code()).isEqualTo("untrusted_root");
        assertThat(RefusalReason.REVOCATION_UNKNOWN.code()).isEqualTo("revocation_unknown");
    }

    @Test
    void thumbprintsAreUpperCaseHex() {
        assertThat(Thumbprints.sha256(ROOT.certificate())).matches("[0-9A-F]{64}");
        assertThat(Thumbprints.sha1(ROOT.certificate())).matches("[0-9A-F]{40}");
    }

    @Test
    void issuedCertificateNeverPrintsItsKey() {
        assertThat(CLIENT.toString()).contains("CN=device-1").doesNotContainIgnoringCase("private");
    }
}
