package org.opencmg.pki;

import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Makes a CRL signed by a CA (defaults: thisUpdate one minute ago, nextUpdate in seven days). */
public final class CrlBuilder {

    private final IssuedCertificate ca;
    private final Map<BigInteger, Instant> revoked = new LinkedHashMap<>();
    private Instant thisUpdate;
    private Instant nextUpdate;

    private CrlBuilder(IssuedCertificate ca) {
        this.ca = Objects.requireNonNull(ca, "ca");
    }

    public static CrlBuilder issuedBy(IssuedCertificate ca) {
        return new CrlBuilder(ca);
    }

    /** Revokes the certificate as of the CRL's thisUpdate. */
    public CrlBuilder revoke(X509Certificate c) {
        revoked.put(c.getSerialNumber(), null);
        return this;
    }

    public CrlBuilder revoke(BigInteger serial, Instant revocationDate) {
        revoked.put(serial, revocationDate);
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

    public X509CRL build() {
        Instant now = Instant.now();
        Instant thisUpd = thisUpdate != null ? thisUpdate : now.minus(Duration.ofMinutes(1));
        Instant nextUpd = nextUpdate != null ? nextUpdate : now.plus(Duration.ofDays(7));
        try {
            JcaX509v2CRLBuilder b = new JcaX509v2CRLBuilder(ca.certificate(), Date.from(thisUpd));
            b.setNextUpdate(Date.from(nextUpd));
            revoked.forEach((serial, when) -> b.addCRLEntry(serial, Date.from(when != null ? when : thisUpd), 0));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.certificate()));
            // Monotonic enough for a dev CA: CRLs made later get higher numbers.
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(thisUpd.toEpochMilli())));
            return new JcaX509CRLConverter().getCRL(b.build(Keys.signer(ca.privateKey())));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build CRL of " + ca.subject(), e);
        }
    }
}
