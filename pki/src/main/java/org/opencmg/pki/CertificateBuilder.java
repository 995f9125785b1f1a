package org.opencmg.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.PolicyConstraints;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * Makes X.509 certificates for the development CA and for tests. Fluent; {@link #build()} generates a fresh key.
 * Defaults: EC P-256, valid from one hour ago for 365 days, the key usages and basic constraints of the kind
 * (root, intermediate, leaf), subject and authority key identifiers.
 */
public final class CertificateBuilder {

    private static final SecureRandom RANDOM = new SecureRandom();

    private enum Kind {
        ROOT,
        INTERMEDIATE,
        LEAF
    }

    private final Kind kind;
    private final IssuedCertificate issuer; // null for a self-signed root
    private X500Name subject;
    private Instant notBefore;
    private Instant notAfter;
    private Duration validity;
    private boolean includeBasicConstraints = true;
    private boolean ca;
    private Integer pathLength;
    private Integer keyUsageBits; // null = the kind's default
    private boolean includeKeyUsage = true;
    private final Set<String> ekus = new LinkedHashSet<>();
    private boolean includeEku = true;
    private final List<GeneralName> altNames = new ArrayList<>();
    private final List<GeneralSubtree> permitted = new ArrayList<>();
    private final List<String> crlUrls = new ArrayList<>();
    private final List<String> criticalExtensions = new ArrayList<>();
    private int rsaBits; // 0 = EC P-256
    private KeyPair keyPair; // null = a fresh key
    private final List<GeneralSubtree> excluded = new ArrayList<>();
    private final List<DistributionPoint> indirectPoints = new ArrayList<>();
    private final List<String> freshestUrls = new ArrayList<>();
    private final List<String> policies = new ArrayList<>();
    private Integer requireExplicitPolicy;

    private CertificateBuilder(Kind kind, String cn, IssuedCertificate issuer) {
        this.kind = kind;
        this.issuer = issuer;
        this.subject =
                new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
        this.ca = kind != Kind.LEAF;
    }

    /** Self-signed CA: CA:true, keyCertSign and cRLSign (critical). */
    public static CertificateBuilder rootCa(String cn) {
        return new CertificateBuilder(Kind.ROOT, cn, null);
    }

    public static CertificateBuilder intermediateCa(String cn, IssuedCertificate issuer) {
        return new CertificateBuilder(Kind.INTERMEDIATE, cn, Objects.requireNonNull(issuer, "issuer"));
    }

    /** End entity: CA:false, digitalSignature (plus keyEncipherment for RSA). No EKU unless asked. */
    public static CertificateBuilder leaf(String cn, IssuedCertificate issuer) {
        return new CertificateBuilder(Kind.LEAF, cn, Objects.requireNonNull(issuer, "issuer"));
    }

    public CertificateBuilder validFrom(Instant t) {
        this.notBefore = t;
        return this;
    }

    public CertificateBuilder validUntil(Instant t) {
        this.notAfter = t;
        this.validity = null;
        return this;
    }

    /** notAfter = notBefore + d. */
    public CertificateBuilder validity(Duration d) {
        this.validity = d;
        this.notAfter = null;
        return this;
    }

    public CertificateBuilder clientAuth() {
        ekus.add(KeyPurposeId.id_kp_clientAuth.getId());
        includeEku = true;
        return this;
    }

    public CertificateBuilder serverAuth() {
        ekus.add(KeyPurposeId.id_kp_serverAuth.getId());
        includeEku = true;
        return this;
    }

    public CertificateBuilder eku(String... oids) {
        ekus.addAll(List.of(oids));
        includeEku = true;
        return this;
    }

    public CertificateBuilder noEku() {
        ekus.clear();
        includeEku = false;
        return this;
    }

    public CertificateBuilder dnsNames(String... names) {
        for (String n : names) {
            altNames.add(new GeneralName(GeneralName.dNSName, n));
        }
        return this;
    }

    public CertificateBuilder ipAddresses(String... addresses) {
        for (String a : addresses) {
            altNames.add(new GeneralName(GeneralName.iPAddress, a));
        }
        return this;
    }

    /** CA:true with a pathLenConstraint. */
    public CertificateBuilder pathLength(int n) {
        this.includeBasicConstraints = true;
        this.ca = true;
        this.pathLength = n;
        return this;
    }

    public CertificateBuilder basicConstraints(boolean isCa) {
        this.includeBasicConstraints = true;
        this.ca = isCa;
        this.pathLength = null;
        return this;
    }

    public CertificateBuilder noBasicConstraints() {
        this.includeBasicConstraints = false;
        return this;
    }

    /** Bits as in BouncyCastle's {@link KeyUsage} constants, e.g. {@code KeyUsage.digitalSignature | KeyUsage.cRLSign}. */
    public CertificateBuilder keyUsage(int bcKeyUsageBits) {
        this.keyUsageBits = bcKeyUsageBits;
        this.includeKeyUsage = true;
        return this;
    }

    public CertificateBuilder noKeyUsage() {
        this.includeKeyUsage = false;
        return this;
    }

    /** Adds a permitted dNSName subtree to a critical name constraints extension. */
    public CertificateBuilder permittedDnsSubtree(String dns) {
        permitted.add(new GeneralSubtree(new GeneralName(GeneralName.dNSName, dns)));
        return this;
    }

    /** Adds a permitted directoryName subtree to a critical name constraints extension. */
    public CertificateBuilder permittedDirectorySubtree(String dn) {
        permitted.add(new GeneralSubtree(new GeneralName(x500(dn))));
        return this;
    }

    /** Adds an excluded subtree (any GeneralName) to the critical name constraints extension. */
    public CertificateBuilder excludedSubtree(GeneralName name) {
        excluded.add(new GeneralSubtree(name));
        return this;
    }

    /** Adds a permitted subtree (any GeneralName) to the critical name constraints extension. */
    public CertificateBuilder permittedSubtree(GeneralName name) {
        permitted.add(new GeneralSubtree(name));
        return this;
    }

    /** Adds any subject alternative name (rfc822Name, directoryName, ...). */
    public CertificateBuilder altName(GeneralName name) {
        altNames.add(name);
        return this;
    }

    /** Certifies this existing key instead of a fresh one (key rollover: old-with-new, new-with-old). */
    public CertificateBuilder keyPair(KeyPair keys) {
        this.keyPair = keys;
        return this;
    }

    /** A distribution point whose CRL is issued by another CA ({@code crlIssuerDn}): an indirect CRL. */
    public CertificateBuilder indirectCrlDistributionPoint(String url, String crlIssuerDn) {
        indirectPoints.add(new DistributionPoint(
                new DistributionPointName(
                        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, url))),
                null,
                new GeneralNames(new GeneralName(x500(crlIssuerDn)))));
        return this;
    }

    /** Same, naming the CRL issuer exactly as its certificate spells its subject. */
    public CertificateBuilder indirectCrlDistributionPoint(String url, X509Certificate crlIssuer) {
        indirectPoints.add(new DistributionPoint(
                new DistributionPointName(
                        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, url))),
                null,
                new GeneralNames(new GeneralName(
                        X500Name.getInstance(crlIssuer.getSubjectX500Principal().getEncoded())))));
        return this;
    }

    /** Certificate policies extension with these policy OIDs. */
    public CertificateBuilder policies(String... oids) {
        policies.addAll(List.of(oids));
        return this;
    }

    /** Critical policy constraints: explicit policy required after {@code skipCerts} more certificates. */
    public CertificateBuilder requireExplicitPolicy(int skipCerts) {
        this.requireExplicitPolicy = skipCerts;
        return this;
    }

    /** Freshest CRL extension: where the delta CRLs are. */
    public CertificateBuilder freshestCrl(String url) {
        freshestUrls.add(url);
        return this;
    }

    public CertificateBuilder crlDistributionPoint(String url) {
        crlUrls.add(url);
        return this;
    }

    /** Adds a critical extension no validator knows (value: NULL), to test that such certificates are refused. */
    public CertificateBuilder criticalExtension(String oid) {
        criticalExtensions.add(oid);
        return this;
    }

    public CertificateBuilder rsa(int bits) {
        this.rsaBits = bits;
        return this;
    }

    /** Full subject DN, replacing "CN=" + cn. */
    public CertificateBuilder subject(String dn) {
        this.subject = x500(dn);
        return this;
    }

    /** Parses an RFC 2253 string the JDK's way (last RDN first in DER), so names read back as written. */
    static X500Name x500(String dn) {
        return X500Name.getInstance(new X500Principal(dn).getEncoded());
    }

    public IssuedCertificate build() {
        KeyPair keys = keyPair != null ? keyPair : rsaBits > 0 ? Keys.rsa(rsaBits) : Keys.ecP256();
        Instant now = Instant.now();
        Instant from = notBefore != null ? notBefore : now.minus(Duration.ofHours(1));
        Instant until =
                notAfter != null ? notAfter : validity != null ? from.plus(validity) : now.plus(Duration.ofDays(365));
        // Take the issuer name from its certificate's encoding so that name chaining matches byte for byte.
        X500Name issuerName = issuer == null
                ? subject
                : X500Name.getInstance(
                        issuer.certificate().getSubjectX500Principal().getEncoded());
        PrivateKey signingKey = issuer == null ? keys.getPrivate() : issuer.privateKey();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    issuerName, serial(), Date.from(from), Date.from(until), subject, keys.getPublic());
            addExtensions(b, keys);
            return new IssuedCertificate(
                    new JcaX509CertificateConverter().getCertificate(b.build(Keys.signer(signingKey))),
                    keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build certificate " + subject, e);
        }
    }

    private void addExtensions(X509v3CertificateBuilder b, KeyPair keys)
            throws GeneralSecurityException, CertIOException {
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
        if (issuer != null) {
            b.addExtension(
                    Extension.authorityKeyIdentifier,
                    false,
                    utils.createAuthorityKeyIdentifier(issuer.certificate().getPublicKey()));
        }
        if (includeBasicConstraints) {
            b.addExtension(
                    Extension.basicConstraints,
                    true,
                    pathLength != null ? new BasicConstraints(pathLength) : new BasicConstraints(ca));
        }
        if (includeKeyUsage) {
            b.addExtension(
                    Extension.keyUsage, true, new KeyUsage(keyUsageBits != null ? keyUsageBits : defaultKeyUsage()));
        }
        if (includeEku && !ekus.isEmpty()) {
            b.addExtension(
                    Extension.extendedKeyUsage,
                    false,
                    new ExtendedKeyUsage(ekus.stream()
                            .map(oid -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(oid)))
                            .toArray(KeyPurposeId[]::new)));
        }
        if (!altNames.isEmpty()) {
            b.addExtension(
                    Extension.subjectAlternativeName, false, new GeneralNames(altNames.toArray(GeneralName[]::new)));
        }
        if (!permitted.isEmpty() || !excluded.isEmpty()) {
            b.addExtension(
                    Extension.nameConstraints,
                    true,
                    new NameConstraints(
                            permitted.isEmpty() ? null : permitted.toArray(GeneralSubtree[]::new),
                            excluded.isEmpty() ? null : excluded.toArray(GeneralSubtree[]::new)));
        }
        if (!crlUrls.isEmpty() || !indirectPoints.isEmpty()) {
            List<DistributionPoint> points = new ArrayList<>(crlUrls.stream()
                    .map(url -> new DistributionPoint(
                            new DistributionPointName(
                                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, url))),
                            null,
                            null))
                    .toList());
            points.addAll(indirectPoints);
            b.addExtension(
                    Extension.cRLDistributionPoints, false, new CRLDistPoint(points.toArray(DistributionPoint[]::new)));
        }
        if (!policies.isEmpty()) {
            b.addExtension(
                    Extension.certificatePolicies,
                    false,
                    new CertificatePolicies(policies.stream()
                            .map(oid -> new PolicyInformation(new ASN1ObjectIdentifier(oid)))
                            .toArray(PolicyInformation[]::new)));
        }
        if (requireExplicitPolicy != null) {
            b.addExtension(
                    Extension.policyConstraints,
                    true,
                    new PolicyConstraints(BigInteger.valueOf(requireExplicitPolicy), null));
        }
        if (!freshestUrls.isEmpty()) {
            b.addExtension(
                    Extension.freshestCRL,
                    false,
                    new CRLDistPoint(freshestUrls.stream()
                            .map(url -> new DistributionPoint(
                                    new DistributionPointName(new GeneralNames(
                                            new GeneralName(GeneralName.uniformResourceIdentifier, url))),
                                    null,
                                    null))
                            .toArray(DistributionPoint[]::new)));
        }
        for (String oid : criticalExtensions) {
            b.addExtension(new ASN1ObjectIdentifier(oid), true, DERNull.INSTANCE);
        }
    }

    private int defaultKeyUsage() {
        // By kind, not by the CA flag: a test of "CA:false on an intermediate" must fail on that, not on key usage.
        if (kind != Kind.LEAF) {
            return KeyUsage.keyCertSign | KeyUsage.cRLSign;
        }
        return rsaBits > 0 ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature;
    }

    /** 127 random bits: positive, unique in practice, as RFC 5280 and the CA/B forum ask. */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(0);
    }
}
