package org.opencmg.pki;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/** A certificate with its private key, as made by {@link CertificateBuilder} or loaded by {@link DevPki}. */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey) {

    public IssuedCertificate {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
    }

    public KeyPair keyPair() {
        return new KeyPair(certificate.getPublicKey(), privateKey);
    }

    public String subject() {
        return certificate.getSubjectX500Principal().getName();
    }

    /** Never prints the key: records would otherwise put it into every log line that prints this. */
    @Override
    public String toString() {
        return "IssuedCertificate[" + subject() + ", serial "
                + certificate.getSerialNumber().toString(16) + "]";
    }
}
