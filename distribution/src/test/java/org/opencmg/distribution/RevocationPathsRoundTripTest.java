package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.CrlBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.PemFiles;

/**
 * Through a real gateway with verify-revocation on: a CA that renewed its key (CRLs signed by the new key only,
 * devices of both keys in use) and an indirect CRL published by a separate CRL authority, all uploaded with the CLI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RevocationPathsRoundTripTest {

    static final String PATH = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request";
    static final String INDIRECT_URL = "http://crl.corp.example/indirect.crl";

    TestPki pki;
    GatewayFixture gw;
    IssuedCertificate renewedCa;
    IssuedCertificate crlAuthority;
    IssuedCertificate oldKeyDevice;
    IssuedCertificate oldKeyRevoked;
    IssuedCertificate newKeyDevice;
    IssuedCertificate indirectDevice;
    IssuedCertificate indirectRevoked;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        pki = new TestPki(java.nio.file.Files.createDirectories(dir.resolve("pki")));
        // The issuing CA renews with a new key: same name, a new certificate from the root.
        renewedCa = CertificateBuilder.intermediateCa("Test Issuing CA", pki.root)
                .keyPair(ec())
                .build();
        crlAuthority = CertificateBuilder.intermediateCa("Test CRL Authority", pki.root)
                .keyUsage(KeyUsage.cRLSign)
                .build();
        oldKeyDevice = pki.device("old-key-device");
        oldKeyRevoked = pki.device("old-key-revoked");
        newKeyDevice = CertificateBuilder.leaf("new-key-device", renewedCa)
                .clientAuth()
                .build();
        indirectDevice = CertificateBuilder.leaf("indirect-device", pki.intermediate)
                .clientAuth()
                .indirectCrlDistributionPoint(INDIRECT_URL, crlAuthority.certificate())
                .build();
        indirectRevoked = CertificateBuilder.leaf("indirect-revoked", pki.intermediate)
                .clientAuth()
                .indirectCrlDistributionPoint(INDIRECT_URL, crlAuthority.certificate())
                .build();

        PemFiles.writeCertificates(dir.resolve("renewed-ca.pem"), List.of(renewedCa.certificate()));
        PemFiles.writeCertificates(dir.resolve("crl-authority.pem"), List.of(crlAuthority.certificate()));
        PemFiles.writeCrl(dir.resolve("root.crl"), CrlBuilder.issuedBy(pki.root).build());
        // After the renewal only the new key signs the issuing CA's CRL; it covers the old key's certificates.
        PemFiles.writeCrl(
                dir.resolve("issuing.crl"),
                CrlBuilder.issuedBy(renewedCa)
                        .revoke(oldKeyRevoked.certificate())
                        .build());
        PemFiles.writeCrl(
                dir.resolve("indirect.crl"),
                CrlBuilder.issuedBy(crlAuthority)
                        .distributionPoint(INDIRECT_URL)
                        .revokeOnBehalf(indirectRevoked.certificate())
                        .build());

        gw = new GatewayFixture(dir, pki, new RecordingForwarder());
        gw.trustAndPublish();
        gw.check(gw.cli("roots", "add", dir.resolve("renewed-ca.pem").toString()));
        gw.check(gw.cli("roots", "add", dir.resolve("crl-authority.pem").toString()));
        for (String crl : new String[] {"root.crl", "issuing.crl", "indirect.crl"}) {
            gw.check(gw.cli("crl", "add", dir.resolve(crl).toString()));
        }
    }

    @AfterAll
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    RawHttps.Reply get(IssuedCertificate device, X509Certificate... chain) throws Exception {
        SSLContext ctx = pki.clientContext(device, chain);
        return RawHttps.exchange(
                ctx, gw.clientPort(), "GET " + PATH + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    }

    @Test
    void devicesOfTheOldAndTheNewKeyPassOnTheCrlOfTheNewKey() throws Exception {
        assertThat(get(oldKeyDevice).status()).isEqualTo(200);
        assertThat(get(newKeyDevice, renewedCa.certificate()).status()).isEqualTo(200);
    }

    @Test
    void aDeviceOfTheOldKeyRevokedOnTheCrlOfTheNewKeyIsRefused() throws Exception {
        assertRefused(get(oldKeyRevoked), "revoked");
    }

    @Test
    void theIndirectCrlOfTheCrlAuthorityDecidesForTheDevicesThatNameIt() throws Exception {
        assertThat(get(indirectDevice).status()).isEqualTo(200);
        assertRefused(get(indirectRevoked), "revoked");
    }

    @Test
    void softModeLetsADeviceWhoseCrlCannotBeObtainedPassAndCountsIt() throws Exception {
        // A CA whose CRL is neither uploaded nor published anywhere.
        IssuedCertificate silentCa =
                CertificateBuilder.intermediateCa("Silent CA", pki.root).build();
        IssuedCertificate device =
                CertificateBuilder.leaf("silent-device", silentCa).clientAuth().build();
        assertRefused(get(device, silentCa.certificate()), "revocation_unknown");
        gw.check(gw.cli("settings", "set", "revocation-mode", "soft"));
        try {
            assertThat(get(device, silentCa.certificate()).status()).isEqualTo(200);
            assertThat(gw.gateway().status().get("auth_counters")).asString().contains("soft_revocation_passes=1");
            assertRefused(get(oldKeyRevoked), "revoked");
        } finally {
            gw.check(gw.cli("settings", "set", "revocation-mode", "hard"));
        }
        assertRefused(get(device, silentCa.certificate()), "revocation_unknown");
    }

    private static void assertRefused(RawHttps.Reply reply, String reason) {
        assertThat(reply.status()).as(reply.head()).isEqualTo(403);
        assertThat(reply.body()).isEqualTo("403 " + reason + "\n");
    }
}
