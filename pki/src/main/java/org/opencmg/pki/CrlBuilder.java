package org.opencmg.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuingDistributionPoint;
import org.bouncycastle.asn1.x509.ReasonFlags;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;

/**
 * Makes a CRL signed by a CA (defaults: thisUpdate one minute ago, nextUpdate in seven days, a CRL number, an
 * authority key identifier). Also makes the less common kinds RFC 5280 section 5 allows, for tests: delta CRLs,
 * indirect CRLs (entries of another CA's certificates), CRLs scoped by an issuing distribution point.
 */
public final class CrlBuilder {

    private record Entry(BigInteger serial, Instant when, int reason, X509Certificate certificateIssuer) {}

    private final IssuedCertificate ca;
    private final List<Entry> revoked = new ArrayList<>();
    private Instant thisUpdate;
    private Instant nextUpdate;
    private BigInteger number;
    private boolean includeNumber = true;
    private boolean includeAki = true;
    private BigInteger deltaOf;
    private String idpUrl;
    private ReasonFlags onlySomeReasons;
    private boolean indirect;

    private CrlBuilder(IssuedCertificate ca) {
        this.ca = Objects.requireNonNull(ca, "ca");
    }

    public static CrlBuilder issuedBy(IssuedCertificate ca) {
        return new CrlBuilder(ca);
    }

    /** Revokes the certificate as of the CRL's thisUpdate. */
    public CrlBuilder revoke(X509Certificate c) {
        revoked.add(new Entry(c.getSerialNumber(), null, -1, null));
        return this;
    }

    public CrlBuilder revoke(BigInteger serial, Instant revocationDate) {
        revoked.add(new Entry(serial, revocationDate, -1, null));
        return this;
    }

    /** Revokes with a reason code ({@link CRLReason} constants, e.g. {@code CRLReason.keyCompromise}). */
    public CrlBuilder revoke(X509Certificate c, int reason) {
        revoked.add(new Entry(c.getSerialNumber(), null, reason, null));
        return this;
    }

    /**
     * In an indirect CRL, revokes a certificate of another CA: the entry carries a certificate issuer extension
     * (and marks the CRL indirect).
     */
    public CrlBuilder revokeOnBehalf(X509Certificate c) {
        indirect = true;
        revoked.add(new Entry(c.getSerialNumber(), null, -1, c));
        return this;
    }

    public CrlBuilder thisUpdate(Instant t) {
        this.thisUpdate = t;
        return this;
    }

    public CrlBuilder nextUpdate(Instant t) {
        this.nextUpdate = t;
        return this;
    }

    public CrlBuilder number(long n) {
        this.number = BigInteger.valueOf(n);
        return this;
    }

    /** Leaves out the CRL number, which RFC 5280 requires (conforming validators refuse such a CRL). */
    public CrlBuilder noNumber() {
        this.includeNumber = false;
        return this;
    }

    public CrlBuilder noAuthorityKeyIdentifier() {
        this.includeAki = false;
        return this;
    }

    /** Makes this a delta CRL (critical delta CRL indicator) on top of the complete CRL numbered {@code baseNumber}. */
    public CrlBuilder deltaOf(long baseNumber) {
        this.deltaOf = BigInteger.valueOf(baseNumber);
        return this;
    }

    /** A critical issuing distribution point naming {@code url}: the CRL covers only certificates naming it. */
    public CrlBuilder distributionPoint(String url) {
        this.idpUrl = url;
        return this;
    }

    /** Scopes the CRL to some revocation reasons (ReasonFlags bits, e.g. {@code ReasonFlags.keyCompromise}). */
    public CrlBuilder onlySomeReasons(int reasonFlags) {
        this.onlySomeReasons = new ReasonFlags(reasonFlags);
        return this;
    }

    /** Sets the indirectCRL flag of the issuing distribution point even without entries of other CAs. */
    public CrlBuilder indirect() {
        this.indirect = true;
        return this;
    }

    public X509CRL build() {
        Instant now = Instant.now();
        Instant thisUpd = thisUpdate != null ? thisUpdate : now.minus(Duration.ofMinutes(1));
        Instant nextUpd = nextUpdate != null ? nextUpdate : now.plus(Duration.ofDays(7));
        try {
            JcaX509v2CRLBuilder b = new JcaX509v2CRLBuilder(ca.certificate(), Date.from(thisUpd));
            b.setNextUpdate(Date.from(nextUpd));
            for (Entry e : revoked) {
                Date when = Date.from(e.when() != null ? e.when() : thisUpd);
                if (e.certificateIssuer() == null) {
                    b.addCRLEntry(e.serial(), when, e.reason() < 0 ? 0 : e.reason());
                    continue;
                }
                ExtensionsGenerator ext = new ExtensionsGenerator();
                if (e.reason() >= 0) {
                    ext.addExtension(Extension.reasonCode, false, CRLReason.lookup(e.reason()));
                }
                ext.addExtension(
                        Extension.certificateIssuer,
                        true,
                        new GeneralNames(new GeneralName(X500Name.getInstance(
                                e.certificateIssuer().getIssuerX500Principal().getEncoded()))));
                b.addCRLEntry(e.serial(), when, ext.generate());
            }
            if (includeAki) {
                b.addExtension(
                        Extension.authorityKeyIdentifier,
                        false,
                        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.certificate()));
            }
            if (includeNumber) {
                // Monotonic enough for a dev CA: CRLs made later get higher numbers.
                b.addExtension(
                        Extension.cRLNumber,
                        false,
                        new CRLNumber(number != null ? number : BigInteger.valueOf(thisUpd.toEpochMilli())));
            }
            if (deltaOf != null) {
                b.addExtension(Extension.deltaCRLIndicator, true, new CRLNumber(deltaOf));
            }
            if (idpUrl != null || onlySomeReasons != null || indirect) {
                DistributionPointName dp = idpUrl == null
                        ? null
                        : new DistributionPointName(
                                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, idpUrl)));
                b.addExtension(
                        Extension.issuingDistributionPoint,
                        true,
                        new IssuingDistributionPoint(dp, false, false, onlySomeReasons, indirect, false));
            }
            return new JcaX509CRLConverter().getCRL(b.build(Keys.signer(ca.privateKey())));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build CRL of " + ca.subject(), e);
        }
    }
}
