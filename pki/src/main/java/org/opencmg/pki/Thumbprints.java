package org.opencmg.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/** Certificate thumbprints as Windows shows them: hash of the DER encoding, upper-case hex, no separators. */
public final class Thumbprints {

    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    private Thumbprints() {}

    public static String sha256(X509Certificate c) {
        return digest("SHA-256", c);
    }

    public static String sha1(X509Certificate c) {
        return digest("SHA-1", c);
    }

    private static String digest(String algorithm, X509Certificate c) {
        try {
            return HEX.formatHex(MessageDigest.getInstance(algorithm).digest(c.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            // Both are impossible for a parsed certificate on any conforming JDK.
            throw new IllegalStateException("cannot hash certificate " + c.getSubjectX500Principal(), e);
        }
    }
}
