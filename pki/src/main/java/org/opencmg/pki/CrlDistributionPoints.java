package org.opencmg.pki;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/** The http(s) URLs of a certificate's CRL Distribution Points extension (ldap: and others are skipped). */
final class CrlDistributionPoints {

    private CrlDistributionPoints() {}

    static List<String> httpUrls(X509Certificate cert) {
        return httpUrls(cert, Extension.cRLDistributionPoints.getId());
    }

    /** The names (RFC 2253) of the CRL issuers the distribution points name: issuers of indirect CRLs. */
    static List<String> crlIssuers(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.cRLDistributionPoints.getId());
        if (ext == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try {
            for (DistributionPoint dp : CRLDistPoint.getInstance(
                            ASN1OctetString.getInstance(ext).getOctets())
                    .getDistributionPoints()) {
                if (dp.getCRLIssuer() == null) {
                    continue;
                }
                for (GeneralName gn : dp.getCRLIssuer().getNames()) {
                    if (gn.getTagNo() == GeneralName.directoryName) {
                        out.add(new X500Principal(gn.getName().toASN1Primitive().getEncoded()).getName());
                    }
                }
            }
        } catch (IllegalArgumentException | IOException e) {
            return List.of();
        }
        return List.copyOf(out);
    }

    /** The http(s) URLs of the freshest CRL extension: where delta CRLs are published. */
    static List<String> deltaUrls(X509Certificate cert) {
        return httpUrls(cert, Extension.freshestCRL.getId());
    }

    private static List<String> httpUrls(X509Certificate cert, String extensionOid) {
        byte[] ext = cert.getExtensionValue(extensionOid);
        if (ext == null) {
            return List.of();
        }
        List<String> urls = new ArrayList<>();
        try {
            CRLDistPoint cdp =
                    CRLDistPoint.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            for (DistributionPoint dp : cdp.getDistributionPoints()) {
                DistributionPointName name = dp.getDistributionPoint();
                if (name == null || name.getType() != DistributionPointName.FULL_NAME) {
                    continue;
                }
                for (GeneralName gn : GeneralNames.getInstance(name.getName()).getNames()) {
                    if (gn.getTagNo() == GeneralName.uniformResourceIdentifier) {
                        String url = ASN1IA5String.getInstance(gn.getName()).getString();
                        String lower = url.toLowerCase(Locale.ROOT);
                        if (lower.startsWith("http://") || lower.startsWith("https://")) {
                            urls.add(url);
                        }
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            // A malformed extension gives no usable URL; revocation checking will then report the status unknown.
            return List.of();
        }
        return List.copyOf(urls);
    }
}
