package org.opencmg.server.jetty;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import org.opencmg.pki.PemFiles;

/** A certificate chain and its key read from PEM files, as JSSE key managers. */
public record KeyMaterial(List<X509Certificate> chain, PrivateKey key) {

    public static KeyMaterial read(Path certificate, Path key) throws IOException {
        List<X509Certificate> chain = PemFiles.readCertificates(certificate);
        if (chain.isEmpty()) {
            throw new IOException(certificate + ": no certificate in file");
        }
        return new KeyMaterial(chain, PemFiles.readPrivateKey(key));
    }

    public KeyManager[] keyManagers() throws GeneralSecurityException {
        char[] transientPassword = "in-memory".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        ks.setKeyEntry("key", key, transientPassword, chain.toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, transientPassword);
        return kmf.getKeyManagers();
    }

    public X509Certificate leaf() {
        return chain.getFirst();
    }
}
