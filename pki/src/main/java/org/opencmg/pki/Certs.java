package org.opencmg.pki;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

/** Small certificate helpers shared by the validation steps. */
final class Certs {

    private Certs() {}

    static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    static String issuer(X509Certificate c) {
        return c.getIssuerX500Principal().getName();
    }

    /** Whether {@code issuer}'s name and key match {@code cert}'s issuer name and signature. */
    static boolean issuedBy(X509Certificate cert, X509Certificate issuer) {
        return cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()) && signedBy(cert, issuer);
    }

    static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            // Wrong key, unsupported algorithm or garbage: in every case not this issuer.
            return false;
        }
    }

    static boolean crlSignedBy(X509CRL crl, X509Certificate issuer) {
        try {
            crl.verify(issuer.getPublicKey());
            return crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
        } catch (Exception e) {
            return false;
        }
    }

    static boolean selfSigned(X509Certificate c) {
        return issuedBy(c, c);
    }
}
