package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.opencmg.pki.CertificateValidatorTest.assertRefused;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.X509v1CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v1CertificateBuilder;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Encodings strict validators refuse, self-issued CAs, name constraints of every kind, bounded work, chain depth. */
class StrictValidationTest {

    static final Instant NOW = Instant.now();
    static final IssuedCertificate ROOT =
            CertificateBuilder.rootCa("Strict Root").build();
    static final IssuedCertificate CA =
            CertificateBuilder.intermediateCa("Strict CA", ROOT).build();

    static ValidationResult validate(X509Certificate leaf, X509Certificate... intermediates) {
        return new CertificateValidator(CrlSource.NONE)
                .validate(
                        List.of(leaf),
                        TrustMaterial.of(ROOT.certificate()).withIntermediates(List.of(intermediates)),
                        new ValidationOptions(EkuRequirement.CLIENT, false, NOW));
    }

    /** Re-signs {@code c} with {@code issuer}'s key after {@code edit} changed the elements of its TBS. */
    static X509Certificate tampered(
            IssuedCertificate c, IssuedCertificate issuer, UnaryOperator<List<ASN1Encodable>> edit) throws Exception {
        ASN1Sequence cert = ASN1Sequence.getInstance(c.certificate().getEncoded());
        List<ASN1Encodable> tbs = new ArrayList<>();
        ASN1Sequence.getInstance(cert.getObjectAt(0)).forEach(tbs::add);
        byte[] tbsDer = new DERSequence(edit.apply(tbs).toArray(ASN1Encodable[]::new)).getEncoded();
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(issuer.privateKey());
        s.update(tbsDer);
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(ASN1Sequence.getInstance(tbsDer));
        v.add(cert.getObjectAt(1));
        v.add(new DERBitString(s.sign()));
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(new DERSequence(v).getEncoded()));
    }

    static List<ASN1Encodable> withExtensions(List<ASN1Encodable> tbs, UnaryOperator<List<ASN1Encodable>> edit) {
        for (int i = 0; i < tbs.size(); i++) {
            if (tbs.get(i) instanceof ASN1TaggedObject t && t.getTagNo() == 3) {
                List<ASN1Encodable> ext = new ArrayList<>();
                ASN1Sequence.getInstance(t.getExplicitBaseObject()).forEach(ext::add);
                tbs.set(
                        i,
                        new DERTaggedObject(
                                true, 3, new DERSequence(edit.apply(ext).toArray(ASN1Encodable[]::new))));
            }
        }
        return tbs;
    }

    static IssuedCertificate device() {
        return CertificateBuilder.leaf("device", CA).clientAuth().build();
    }

    @Test
    void wellFormedChainIsValid() {
        assertThat(validate(device().certificate(), CA.certificate()).isValid()).isTrue();
    }

    @Nested
    class Encodings {
        // The JDK's certificate parser (used by the TLS stack and by cmg pki verify) already refuses these two, so
        // such a certificate never reaches the validator; StrictCheck refuses them again for any other parser.
        @Test
        void duplicatedExtensionIsNotEvenParsed() {
            assertThatThrownBy(() -> tampered(
                            device(),
                            CA,
                            tbs -> withExtensions(tbs, ext -> {
                                ext.add(ext.getFirst());
                                return ext;
                            })))
                    .isInstanceOf(CertificateException.class)
                    .hasMessageContaining("Duplicate extensions");
        }

        @Test
        void signatureAlgorithmOfTheSignedPartDifferentFromTheOuterOneIsNotEvenParsed() {
            assertThatThrownBy(() -> tampered(device(), CA, tbs -> {
                        tbs.set(
                                2,
                                new AlgorithmIdentifier(
                                        new ASN1ObjectIdentifier("1.2.840.10045.4.3.3"))); // ecdsa-with-SHA384
                        return tbs;
                    }))
                    .isInstanceOf(CertificateException.class)
                    .hasMessageContaining("mismatch");
        }

        @Test
        void negativeOrZeroSerialIsToleratedAsRfc5280AsksAndARevokedOneIsStillRevoked() throws Exception {
            for (long serial : new long[] {0, -5}) {
                X509Certificate c = tampered(device(), CA, tbs -> {
                    tbs.set(1, new ASN1Integer(serial));
                    return tbs;
                });
                assertThat(validate(c, CA.certificate()).isValid()).isTrue();
                X509CRL crl = CrlBuilder.issuedBy(CA).revoke(c).build();
                ValidationResult revoked = new CertificateValidator(CrlSource.NONE)
                        .validate(
                                List.of(c),
                                TrustMaterial.of(ROOT.certificate())
                                        .withIntermediates(List.of(CA.certificate()))
                                        .withCrls(List.of(
                                                crl, CrlBuilder.issuedBy(ROOT).build())),
                                new ValidationOptions(EkuRequirement.CLIENT, true, NOW));
                assertRefused(revoked, RefusalReason.REVOKED, "CN=device");
            }
        }

        @Test
        void serialOfMoreThanTwentyOctetsIsMalformed() throws Exception {
            X509Certificate c = tampered(device(), CA, tbs -> {
                tbs.set(1, new ASN1Integer(BigInteger.ONE.shiftLeft(170)));
                return tbs;
            });
            assertRefused(validate(c, CA.certificate()), RefusalReason.MALFORMED_CERTIFICATE, "octets");
        }

        @Test
        void criticalAuthorityKeyIdentifierIsMalformed() throws Exception {
            X509Certificate c = tampered(
                    device(),
                    CA,
                    tbs -> withExtensions(tbs, ext -> {
                        for (int i = 0; i < ext.size(); i++) {
                            Extension e = Extension.getInstance(ext.get(i));
                            if (e.getExtnId().equals(Extension.authorityKeyIdentifier)) {
                                ext.set(i, new Extension(e.getExtnId(), true, e.getExtnValue()));
                            }
                        }
                        return ext;
                    }));
            assertRefused(
                    validate(c, CA.certificate()), RefusalReason.MALFORMED_CERTIFICATE, "authority key identifier");
        }

        @Test
        void missingAuthorityKeyIdentifierIsMalformed() throws Exception {
            X509Certificate c = tampered(
                    device(),
                    CA,
                    tbs -> withExtensions(tbs, ext -> {
                        ext.removeIf(
                                e -> Extension.getInstance(e).getExtnId().equals(Extension.authorityKeyIdentifier));
                        return ext;
                    }));
            assertRefused(
                    validate(c, CA.certificate()), RefusalReason.MALFORMED_CERTIFICATE, "no authority key identifier");
        }

        @Test
        void emptyExtendedKeyUsageIsMalformed() throws Exception {
            X509Certificate c = tampered(
                    device(),
                    CA,
                    tbs -> withExtensions(tbs, ext -> {
                        ext.replaceAll(e -> Extension.getInstance(e).getExtnId().equals(Extension.extendedKeyUsage)
                                ? new Extension(
                                        Extension.extendedKeyUsage, false, new DEROctetString(new byte[] {0x30, 0x00}))
                                : e);
                        return ext;
                    }));
            assertRefused(
                    validate(c, CA.certificate()), RefusalReason.MALFORMED_CERTIFICATE, "empty extended key usage");
        }

        @Test
        void versionOneIntermediateIsRefused() throws Exception {
            var keys = Keys.ecP256();
            X509v1CertificateBuilder b = new JcaX509v1CertificateBuilder(
                    X500Name.getInstance(
                            ROOT.certificate().getSubjectX500Principal().getEncoded()),
                    BigInteger.valueOf(77),
                    Date.from(NOW.minus(Duration.ofHours(1))),
                    Date.from(NOW.plus(Duration.ofDays(30))),
                    new X500Name("CN=V1 CA"),
                    keys.getPublic());
            IssuedCertificate v1 = new IssuedCertificate(
                    new JcaX509CertificateConverter().getCertificate(b.build(Keys.signer(ROOT.privateKey()))),
                    keys.getPrivate());
            X509Certificate leaf =
                    CertificateBuilder.leaf("below-v1", v1).clientAuth().build().certificate();

            assertRefused(validate(leaf, v1.certificate()), RefusalReason.MALFORMED_CERTIFICATE, "version 1");
        }

        @Test
        void emptySubjectWithoutACriticalAltNameIsNotEvenParsed() {
            // The JDK refuses it when the certificate is made (and parsed): RFC 5280 4.1.2.6.
            assertThatThrownBy(() -> CertificateBuilder.leaf("x", CA)
                            .subject("")
                            .clientAuth()
                            .dnsNames("device.example")
                            .build())
                    .isInstanceOf(IllegalStateException.class)
                    .hasRootCauseInstanceOf(java.security.cert.CertificateParsingException.class);
        }

        @Test
        void caWithAnEmptySubjectIsMalformed() throws Exception {
            IssuedCertificate named = CertificateBuilder.intermediateCa("x", ROOT)
                    .dnsNames("ca.example")
                    .build();
            X509Certificate nameless = tampered(named, ROOT, tbs -> {
                tbs.set(5, new DERSequence()); // subject
                return withExtensions(tbs, ext -> {
                    ext.replaceAll(e -> Extension.getInstance(e).getExtnId().equals(Extension.subjectAlternativeName)
                            ? new Extension(
                                    Extension.subjectAlternativeName,
                                    true,
                                    Extension.getInstance(e).getExtnValue())
                            : e);
                    return ext;
                });
            });
            // The JDK parses no certificate whose issuer is empty, so nothing chains to it by name: StrictCheck is
            // asked directly, with the CA in the issuer's place, as another parser could hand it over.
            X509Certificate leaf = device().certificate();
            assertThat(nameless.getSubjectX500Principal().getEncoded()).hasSize(2);
            assertThatThrownBy(() ->
                            StrictCheck.check(new PathBuilder.BuiltPath(List.of(leaf, nameless), ROOT.certificate())))
                    .isInstanceOfSatisfying(RefusedException.class, e -> {
                        assertThat(e.refused().reason()).isEqualTo(RefusalReason.MALFORMED_CERTIFICATE);
                        assertThat(e.refused().detail()).contains("empty subject");
                    });
        }

        @Test
        void dsaKeyIsUnsupported() throws Exception {
            KeyPairGenerator g = KeyPairGenerator.getInstance("DSA");
            g.initialize(2048);
            X509Certificate leaf = CertificateBuilder.leaf("dsa-device", CA)
                    .keyPair(g.generateKeyPair())
                    .clientAuth()
                    .build()
                    .certificate();

            assertRefused(validate(leaf, CA.certificate()), RefusalReason.UNSUPPORTED_KEY, "DSA");
        }
    }

    @Nested
    class SelfIssuedIntermediates {
        final IssuedCertificate limited = CertificateBuilder.intermediateCa("Limited CA", ROOT)
                .pathLength(0)
                .build();

        @Test
        void selfIssuedCaDoesNotCountAgainstPathLength() {
            IssuedCertificate renewed = CertificateBuilder.intermediateCa("Limited CA", limited)
                    .pathLength(0)
                    .build();
            X509Certificate leaf = CertificateBuilder.leaf("device", renewed)
                    .clientAuth()
                    .build()
                    .certificate();

            assertThat(validate(leaf, renewed.certificate(), limited.certificate())
                            .isValid())
                    .isTrue();
        }

        // requireExplicitPolicy 2 at the top CA: two more non-self-issued certificates may come without a policy.
        @Test
        void selfIssuedCaDoesNotCountTowardsRequireExplicitPolicy() {
            IssuedCertificate top = CertificateBuilder.intermediateCa("Policy CA", ROOT)
                    .requireExplicitPolicy(2)
                    .build();
            IssuedCertificate renewed =
                    CertificateBuilder.intermediateCa("Policy CA", top).build();
            X509Certificate leaf = CertificateBuilder.leaf("device", renewed)
                    .clientAuth()
                    .build()
                    .certificate();

            assertThat(validate(leaf, renewed.certificate(), top.certificate()).isValid())
                    .isTrue();
        }

        @Test
        void anotherCaCountsTowardsRequireExplicitPolicyAndThePathThenNeedsAPolicy() {
            IssuedCertificate top = CertificateBuilder.intermediateCa("Policy CA", ROOT)
                    .requireExplicitPolicy(2)
                    .build();
            IssuedCertificate sub =
                    CertificateBuilder.intermediateCa("Policy Sub CA", top).build();
            X509Certificate leaf =
                    CertificateBuilder.leaf("device", sub).clientAuth().build().certificate();

            assertRefused(
                    validate(leaf, sub.certificate(), top.certificate()),
                    RefusalReason.INVALID_POLICY,
                    "explicit policy");

            String policy = "1.3.6.1.4.1.99999.1";
            IssuedCertificate topP = CertificateBuilder.intermediateCa("Policy CA 2", ROOT)
                    .requireExplicitPolicy(2)
                    .policies(policy)
                    .build();
            IssuedCertificate subP = CertificateBuilder.intermediateCa("Policy Sub CA 2", topP)
                    .policies(policy)
                    .build();
            X509Certificate leafP = CertificateBuilder.leaf("device", subP)
                    .clientAuth()
                    .policies(policy)
                    .build()
                    .certificate();
            assertThat(validate(leafP, subP.certificate(), topP.certificate()).isValid())
                    .isTrue();
        }

        @Test
        void anotherCaBelowAPathLengthOfZeroIsTooLong() {
            IssuedCertificate sub =
                    CertificateBuilder.intermediateCa("Sub CA", limited).build();
            X509Certificate leaf =
                    CertificateBuilder.leaf("device", sub).clientAuth().build().certificate();

            assertRefused(
                    validate(leaf, sub.certificate(), limited.certificate()),
                    RefusalReason.PATH_LENGTH_EXCEEDED,
                    "CN=Sub CA");
        }
    }

    @Nested
    class NameConstraints {
        ValidationResult below(
                CertificateBuilder constrainedCa,
                java.util.function.Function<IssuedCertificate, IssuedCertificate> leaf) {
            IssuedCertificate ca = constrainedCa.build();
            IssuedCertificate sub =
                    CertificateBuilder.intermediateCa("Sub CA", ca).build();
            return validate(leaf.apply(sub).certificate(), sub.certificate(), ca.certificate());
        }

        CertificateBuilder nc() {
            return CertificateBuilder.intermediateCa("Constrained CA", ROOT);
        }

        @Test
        void dnsPermittedAndExcludedApplyTwoLevelsDown() {
            var ca = nc().permittedDnsSubtree("corp.example")
                    .excludedSubtree(new GeneralName(GeneralName.dNSName, "lab.corp.example"));
            assertThat(below(
                                    ca,
                                    i -> CertificateBuilder.leaf("d", i)
                                            .clientAuth()
                                            .dnsNames("pc1.corp.example")
                                            .build())
                            .isValid())
                    .isTrue();
            assertRefused(
                    below(
                            ca,
                            i -> CertificateBuilder.leaf("d", i)
                                    .clientAuth()
                                    .dnsNames("pc1.lab.corp.example")
                                    .build()),
                    RefusalReason.NAME_CONSTRAINTS,
                    "CN=d");
            assertRefused(
                    below(
                            ca,
                            i -> CertificateBuilder.leaf("d", i)
                                    .clientAuth()
                                    .dnsNames("pc1.other.example")
                                    .build()),
                    RefusalReason.NAME_CONSTRAINTS,
                    "CN=d");
        }

        @Test
        void emailPermitted() {
            var ca = nc().permittedSubtree(new GeneralName(GeneralName.rfc822Name, "corp.example"));
            assertThat(below(
                                    ca,
                                    i -> CertificateBuilder.leaf("d", i)
                                            .clientAuth()
                                            .altName(new GeneralName(GeneralName.rfc822Name, "ann@corp.example"))
                                            .build())
                            .isValid())
                    .isTrue();
            assertRefused(
                    below(
                            ca,
                            i -> CertificateBuilder.leaf("d", i)
                                    .clientAuth()
                                    .altName(new GeneralName(GeneralName.rfc822Name, "ann@evil.example"))
                                    .build()),
                    RefusalReason.NAME_CONSTRAINTS,
                    "CN=d");
        }

        @Test
        void ipAddressExcluded() {
            var ca = nc().excludedSubtree(new GeneralName(GeneralName.iPAddress, "10.0.0.0/8"));
            assertThat(below(
                                    ca,
                                    i -> CertificateBuilder.leaf("d", i)
                                            .clientAuth()
                                            .ipAddresses("192.0.2.7")
                                            .build())
                            .isValid())
                    .isTrue();
            assertRefused(
                    below(
                            ca,
                            i -> CertificateBuilder.leaf("d", i)
                                    .clientAuth()
                                    .ipAddresses("10.1.2.3")
                                    .build()),
                    RefusalReason.NAME_CONSTRAINTS,
                    "CN=d");
        }

        @Test
        void directoryNameExcluded() {
            var ca = nc().excludedSubtree(new GeneralName(new X500Name("O=Evil")));
            assertThat(below(
                                    ca,
                                    i -> CertificateBuilder.leaf("d", i)
                                            .clientAuth()
                                            .build())
                            .isValid())
                    .isTrue();
            assertRefused(
                    below(
                            ca,
                            i -> CertificateBuilder.leaf("d", i)
                                    .subject("CN=d,O=Evil")
                                    .clientAuth()
                                    .build()),
                    RefusalReason.NAME_CONSTRAINTS,
                    "CN=d");
        }

        @Test
        void pathologicalConstraintsAreRefusedQuickly() {
            var ca = nc();
            for (int i = 0; i < 3000; i++) {
                ca.excludedSubtree(new GeneralName(GeneralName.dNSName, "x" + i + ".example"));
            }
            String[] names = new String[50];
            for (int i = 0; i < names.length; i++) {
                names[i] = "n" + i + ".corp.example";
            }
            long start = System.nanoTime();
            assertRefused(
                    below(
                            ca,
                            i -> CertificateBuilder.leaf("d", i)
                                    .clientAuth()
                                    .dnsNames(names)
                                    .build()),
                    RefusalReason.NAME_CONSTRAINTS_TOO_COMPLEX,
                    "3000 subtrees");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void chainDeeperThanTheMaximumIsRefused() {
        IssuedCertificate a = CertificateBuilder.intermediateCa("A", ROOT).build();
        IssuedCertificate b = CertificateBuilder.intermediateCa("B", a).build();
        X509Certificate leaf =
                CertificateBuilder.leaf("deep", b).clientAuth().build().certificate();
        TrustMaterial trust =
                TrustMaterial.of(ROOT.certificate()).withIntermediates(List.of(a.certificate(), b.certificate()));
        CertificateValidator v = new CertificateValidator(CrlSource.NONE);
        ValidationOptions options = new ValidationOptions(EkuRequirement.CLIENT, false, NOW);

        assertThat(v.validate(List.of(leaf), trust, options.withMaxChainDepth(3))
                        .isValid())
                .isTrue();
        assertRefused(
                v.validate(List.of(leaf), trust, options.withMaxChainDepth(2)),
                RefusalReason.CHAIN_TOO_DEEP,
                "CN=deep");
    }
}
