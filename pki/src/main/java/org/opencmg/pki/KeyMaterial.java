package org.opencmg.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;

/** A certificate chain and its key read from PEM files, as JSSE key managers. */
public record KeyMaterial(List<X509Certificate> chain, PrivateKey key) {

    public static KeyMaterial read(Path certificate, Path key) throws IOException {
        List<X509Certificate> chain = PemFiles.readCertificates(certificate);
        if (chain.isEmpty()) {
            throw new IOException(certificate + ": no certificate in file");
        }
        return new KeyMaterial(chain, PemFiles.readPrivateKey(key));
    }

    /** The password of the in-memory key stores; they never touch a disk. */
    public static final String TRANSIENT_PASSWORD = "in-memory";

    public KeyManager[] keyManagers() throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore(), TRANSIENT_PASSWORD.toCharArray());
        return kmf.getKeyManagers();
    }

    public KeyStore keyStore() throws GeneralSecurityException {
        KeyStore ks = emptyStore();
        ks.setKeyEntry("key", key, TRANSIENT_PASSWORD.toCharArray(), chain.toArray(new X509Certificate[0]));
        return ks;
    }

    /** A trust store holding the certificates of a PEM bundle. */
    public static KeyStore trustStore(Path pemBundle) throws IOException, GeneralSecurityException {
        KeyStore ks = emptyStore();
        int i = 0;
        for (X509Certificate c : PemFiles.readCertificates(pemBundle)) {
            ks.setCertificateEntry("ca" + i++, c);
        }
        return ks;
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        return ks;
    }

    public X509Certificate leaf() {
        return chain.getFirst();
    }

    /**
     * Whether the key is the leaf certificate's: signs a probe with the key and verifies it with the
     * certificate, so a mismatched pair fails here, not in a device's handshake.
     */
    public boolean belongTogether() throws GeneralSecurityException {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
        byte[] probe = "opencmg key check".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        try {
            verifier.initVerify(leaf().getPublicKey());
        } catch (InvalidKeyException e) {
            return false; // another kind of key than the certificate's
        }
        verifier.update(probe);
        return verifier.verify(signature);
    }
}
