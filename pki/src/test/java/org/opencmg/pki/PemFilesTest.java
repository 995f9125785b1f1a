package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemFilesTest {

    static final IssuedCertificate ROOT = CertificateBuilder.rootCa("Pem Root").build();
    static final IssuedCertificate LEAF =
            CertificateBuilder.leaf("pem-leaf", ROOT).clientAuth().build();

    @TempDir
    Path dir;

    @Test
    void pemBundleRoundTrips() throws IOException {
        Path file = dir.resolve("bundle.pem");

        PemFiles.writeCertificates(file, List.of(LEAF.certificate(), ROOT.certificate()));

        assertThat(Files.readString(file)).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(PemFiles.readCertificates(file)).containsExactly(LEAF.certificate(), ROOT.certificate());
    }

    @Test
    void derCertificateIsRead() throws Exception {
        Path file = dir.resolve("leaf.cer");
        Files.write(file, LEAF.certificate().getEncoded());

        assertThat(PemFiles.readCertificates(file)).containsExactly(LEAF.certificate());
        assertThat(PemFiles.readCertificates(LEAF.certificate().getEncoded())).containsExactly(LEAF.certificate());
    }

    @Test
    void otherBlocksAndSurroundingTextAreIgnored() throws IOException {
        String pem = "subject=CN=pem-leaf\n" + PemFiles.toPem(LEAF.certificate()) + pkcs1OrSec1(LEAF.privateKey())
                + "-----BEGIN SOMETHING ELSE-----\nAAAA\n-----END SOMETHING ELSE-----\n";

        assertThat(PemFiles.readCertificates(pem.getBytes(StandardCharsets.US_ASCII)))
                .containsExactly(LEAF.certificate());
    }

    @Test
    void fileWithoutCertificatesIsAnErrorNamingTheFile() throws IOException {
        Path file = dir.resolve("empty.pem");
        Files.writeString(file, "hello");

        assertThatThrownBy(() -> PemFiles.readCertificates(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("empty.pem")
                .hasMessageContaining("no certificate");
        assertThatThrownBy(() -> PemFiles.readCertificates(dir.resolve("missing.pem")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("missing.pem");
    }

    @Test
    void ecPrivateKeyRoundTripsAsPkcs8WithOwnerOnlyPermissions() throws Exception {
        Path file = dir.resolve("key.pem");

        PemFiles.writePrivateKey(file, LEAF.privateKey());

        assertThat(Files.readString(file)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        PrivateKey read = PemFiles.readPrivateKey(file);
        assertThat(read.getEncoded()).isEqualTo(LEAF.privateKey().getEncoded());
        assertSignsFor(read, LEAF.certificate());
    }

    @Test
    void rsaPrivateKeyRoundTrips() throws Exception {
        IssuedCertificate rsa = CertificateBuilder.leaf("rsa", ROOT).rsa(2048).build();
        Path file = dir.resolve("rsa-key.pem");

        PemFiles.writePrivateKey(file, rsa.privateKey());

        assertSignsFor(PemFiles.readPrivateKey(file), rsa.certificate());
    }

    @Test
    void sec1AndPkcs1KeysAreRead() throws Exception {
        IssuedCertificate rsa = CertificateBuilder.leaf("rsa", ROOT).rsa(2048).build();
        Path ec = dir.resolve("ec.pem");
        Path rsaFile = dir.resolve("rsa.pem");
        Files.writeString(ec, pkcs1OrSec1(LEAF.privateKey()));
        Files.writeString(rsaFile, PemFiles.toPem(rsa.certificate()) + pkcs1OrSec1(rsa.privateKey()));

        assertThat(Files.readString(ec)).contains("BEGIN EC PRIVATE KEY");
        assertThat(Files.readString(rsaFile)).contains("BEGIN RSA PRIVATE KEY");
        assertSignsFor(PemFiles.readPrivateKey(ec), LEAF.certificate());
        assertSignsFor(PemFiles.readPrivateKey(rsaFile), rsa.certificate());
    }

    @Test
    void derPkcs8KeyIsRead() throws Exception {
        Path file = dir.resolve("key.der");
        Files.write(file, LEAF.privateKey().getEncoded());

        assertSignsFor(PemFiles.readPrivateKey(file), LEAF.certificate());
    }

    @Test
    void fileWithoutKeyIsAnErrorThatNamesTheFile() throws IOException {
        Path file = dir.resolve("cert-only.pem");
        PemFiles.writeCertificates(file, List.of(LEAF.certificate()));

        assertThatThrownBy(() -> PemFiles.readPrivateKey(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cert-only.pem")
                .hasMessageContaining("no private key");
    }

    @Test
    void crlRoundTripsAsPemAndDer() throws Exception {
        X509CRL crl = CrlBuilder.issuedBy(ROOT).revoke(LEAF.certificate()).build();
        Path pem = dir.resolve("ca.crl");
        Path der = dir.resolve("ca-der.crl");

        PemFiles.writeCrl(pem, crl);
        Files.write(der, crl.getEncoded());

        assertThat(Files.readString(pem)).startsWith("-----BEGIN X509 CRL-----");
        assertThat(PemFiles.readCrls(pem)).containsExactly(crl);
        assertThat(PemFiles.readCrls(der)).containsExactly(crl);
        assertThat(PemFiles.readCrl(crl.getEncoded())).isEqualTo(crl);
        assertThat(PemFiles.readCrl(Files.readAllBytes(pem)).isRevoked(LEAF.certificate()))
                .isTrue();
    }

    /** The traditional OpenSSL forms ("EC PRIVATE KEY" with its curve, "RSA PRIVATE KEY"), as `openssl ec|rsa -traditional` writes them. */
    private static String pkcs1OrSec1(PrivateKey key) throws IOException {
        java.io.StringWriter out = new java.io.StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            if (key instanceof java.security.interfaces.ECPrivateKey ec) {
                byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
                                256, ec.getS(), org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1)
                        .getEncoded();
                w.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1));
            } else {
                w.writeObject(key);
            }
        }
        return out.toString();
    }

    private static void assertSignsFor(PrivateKey key, X509Certificate cert) throws Exception {
        String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        Signature signer = Signature.getInstance(alg);
        signer.initSign(key);
        signer.update(new byte[] {1, 2, 3});
        byte[] sig = signer.sign();
        Signature verifier = Signature.getInstance(alg);
        verifier.initVerify(cert.getPublicKey());
        verifier.update(new byte[] {1, 2, 3});
        assertThat(verifier.verify(sig)).isTrue();
    }
}
