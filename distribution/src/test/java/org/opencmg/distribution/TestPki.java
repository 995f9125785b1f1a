package org.opencmg.distribution;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.CrlBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.PemFiles;

/**
 * A small test PKI, written as PEM files: a root, an intermediate under it, the gateway's server
 * certificate and device certificates of every kind the gateway must accept or refuse.
 */
final class TestPki {

    final Path dir;
    final IssuedCertificate root;
    final IssuedCertificate intermediate;
    final IssuedCertificate otherRoot;
    final IssuedCertificate server;

    TestPki(Path dir) throws IOException {
        this.dir = dir;
        root = CertificateBuilder.rootCa("Test Root").build();
        intermediate =
                CertificateBuilder.intermediateCa("Test Issuing CA", root).build();
        otherRoot = CertificateBuilder.rootCa("Someone Else's Root").build();
        server = CertificateBuilder.leaf("gateway", root)
                .serverAuth()
                .dnsNames("localhost")
                .ipAddresses("127.0.0.1")
                .build();
        write("root.pem", root);
        write("intermediate.pem", intermediate);
        write("other-root.pem", otherRoot);
        PemFiles.writeCertificates(dir.resolve("server.pem"), List.of(server.certificate(), root.certificate()));
        PemFiles.writePrivateKey(dir.resolve("server-key.pem"), server.privateKey());
    }

    IssuedCertificate device(String cn) {
        return CertificateBuilder.leaf(cn, intermediate).clientAuth().build();
    }

    /** A device certificate written as {@code CN.pem} (leaf and intermediate) and {@code CN-key.pem}, for the CLI. */
    Path deviceFiles(String cn) throws IOException {
        var device = device(cn);
        PemFiles.writeCertificates(dir.resolve(cn + ".pem"), List.of(device.certificate(), intermediate.certificate()));
        PemFiles.writePrivateKey(dir.resolve(cn + "-key.pem"), device.privateKey());
        return dir.resolve(cn + ".pem");
    }

    /**
     * A connection point's certificate (client authentication, issued by the test root), written as
     * {@code NAME.pem} and {@code NAME-key.pem}. It is also what the point presents to internal servers.
     */
    IssuedCertificate connectionPoint(String name) throws IOException {
        var cert = CertificateBuilder.leaf(name, root).clientAuth().build();
        write(name + ".pem", cert);
        PemFiles.writePrivateKey(dir.resolve(name + "-key.pem"), cert.privateKey());
        return cert;
    }

    IssuedCertificate expiredDevice() {
        return CertificateBuilder.leaf("expired", intermediate)
                .clientAuth()
                .validFrom(Instant.now().minus(Duration.ofDays(30)))
                .validUntil(Instant.now().minus(Duration.ofDays(1)))
                .build();
    }

    IssuedCertificate futureDevice() {
        return CertificateBuilder.leaf("future", intermediate)
                .clientAuth()
                .validFrom(Instant.now().plus(Duration.ofDays(1)))
                .validUntil(Instant.now().plus(Duration.ofDays(30)))
                .build();
    }

    IssuedCertificate serverAuthOnlyDevice() {
        return CertificateBuilder.leaf("wrong-eku", intermediate).serverAuth().build();
    }

    IssuedCertificate strangerDevice() {
        return CertificateBuilder.leaf("stranger", otherRoot).clientAuth().build();
    }

    /** CRLs of both CAs, revoking the given certificates. */
    void writeCrls(X509Certificate... revoked) throws IOException {
        var rootCrl = CrlBuilder.issuedBy(root);
        var issuingCrl = CrlBuilder.issuedBy(intermediate);
        for (X509Certificate c : revoked) {
            issuingCrl.revoke(c);
        }
        PemFiles.writeCrl(dir.resolve("root.crl"), rootCrl.build());
        PemFiles.writeCrl(dir.resolve("issuing.crl"), issuingCrl.build());
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    private void write(String name, IssuedCertificate c) throws IOException {
        PemFiles.writeCertificates(dir.resolve(name), List.of(c.certificate()));
    }

    /** A client TLS context trusting the test root, presenting {@code device} (leaf, then chain) if given. */
    SSLContext clientContext(IssuedCertificate device, X509Certificate... chain) throws Exception {
        KeyManagerFactory kmf = null;
        if (device != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            var certs = new X509Certificate[chain.length + 1];
            certs[0] = device.certificate();
            System.arraycopy(chain, 0, certs, 1, chain.length);
            ks.setKeyEntry("device", device.privateKey(), "pw".toCharArray(), certs);
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "pw".toCharArray());
        }
        // Present the device certificate whatever CA names the server lists, as a misconfigured
        // or hostile client would: the gateway, not the client, must decide.
        KeyManager[] keyManagers = kmf == null
                ? null
                : new KeyManager[] {new AlwaysPresent((X509ExtendedKeyManager) kmf.getKeyManagers()[0])};
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("root", root.certificate());
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keyManagers, tmf.getTrustManagers(), new SecureRandom());
        return ctx;
    }

    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager delegate;

        AlwaysPresent(X509ExtendedKeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "device";
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "device";
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"device"};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }
}
