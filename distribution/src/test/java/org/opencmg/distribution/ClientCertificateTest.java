package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.Thumbprints;

/**
 * Devices authenticate with client certificates over real mutual TLS; the auth-pki plugin
 * (loaded from its JAR) decides, against the roots, CTL and CRLs uploaded through the CLI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientCertificateTest {

    static final String PATH = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request";

    Path dir;
    TestPki pki;
    GatewayFixture gw;
    RecordingForwarder forwarder = new RecordingForwarder();
    IssuedCertificate revoked;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(java.nio.file.Files.createDirectories(dir.resolve("pki")));
        revoked = pki.device("revoked-device");
        pki.writeCrls(revoked.certificate());
        gw = new GatewayFixture(dir, pki, forwarder);
        gw.trustAndPublish();
        gw.check(gw.cli("crl", "add", pki.file("root.crl").toString()));
        gw.check(gw.cli("crl", "add", pki.file("issuing.crl").toString()));
    }

    @AfterAll
    void stop() {
        gw.close();
    }

    RawHttps.Reply get(IssuedCertificate device, X509Certificate... chain) throws Exception {
        SSLContext ctx = pki.clientContext(device, chain);
        return RawHttps.exchange(
                ctx, gw.clientPort(), "GET " + PATH + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    }

    @Test
    void aValidDeviceCertificateIsForwardedToItsInternalUrl() throws Exception {
        var reply = get(pki.device("good-device"));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).contains("forwarded https://mp.corp.example/CCM_System/request");
        assertThat(forwarder.forwarded).anySatisfy(f -> assertThat(f.device()).contains("CN=good-device"));
    }

    @Test
    void aDevicePresentingItsIntermediateIsAccepted() throws Exception {
        assertThat(get(pki.device("chained"), pki.intermediate.certificate()).status())
                .isEqualTo(200);
    }

    @Test
    void noClientCertificateIs401() throws Exception {
        var reply = get(null);
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.body()).isEqualTo("401 no_credentials\n");
    }

    @Test
    void anUntrustedRootIsRefused() throws Exception {
        var stranger = pki.strangerDevice();
        assertRefused(get(stranger, pki.otherRoot.certificate()), "untrusted_root");
        // Without its root in the chain nothing shows where it leads: the issuer is simply unknown.
        assertRefused(get(stranger), "incomplete_chain");
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        assertRefused(get(pki.expiredDevice()), "expired");
    }

    @Test
    void aNotYetValidCertificateIsRefused() throws Exception {
        assertRefused(get(pki.futureDevice()), "not_yet_valid");
    }

    @Test
    void aCertificateWithoutClientAuthenticationEkuIsRefused() throws Exception {
        assertRefused(get(pki.serverAuthOnlyDevice()), "wrong_eku");
    }

    @Test
    void aRevokedCertificateIsRefusedWhileRevocationIsVerified() throws Exception {
        assertRefused(get(revoked), "revoked");
        gw.check(gw.cli("settings", "set", "verify-revocation", "off"));
        try {
            assertThat(get(revoked).status()).isEqualTo(200);
        } finally {
            gw.check(gw.cli("settings", "set", "verify-revocation", "on"));
        }
        assertRefused(get(revoked), "revoked");
    }

    @Test
    void aMissingIntermediateIsRefusedUntilUploaded() throws Exception {
        String intermediate = Thumbprints.sha1(pki.intermediate.certificate());
        gw.check(gw.cli("roots", "remove", intermediate));
        try {
            assertRefused(get(pki.device("orphan")), "incomplete_chain");
        } finally {
            gw.check(gw.cli("roots", "add", pki.file("intermediate.pem").toString()));
        }
        assertThat(get(pki.device("orphan")).status()).isEqualTo(200);
    }

    @Test
    void aRootOutsideANonEmptyCtlIsRefused() throws Exception {
        gw.check(gw.cli("roots", "add", pki.file("other-root.pem").toString()));
        gw.check(gw.cli("ctl", "add", pki.file("other-root.pem").toString()));
        try {
            assertRefused(get(pki.device("ctl-device")), "not_in_ctl");
            gw.check(gw.cli("ctl", "add", pki.file("root.pem").toString()));
            assertThat(get(pki.device("ctl-device")).status()).isEqualTo(200);
        } finally {
            gw.check(gw.cli("ctl", "remove", Thumbprints.sha256(pki.otherRoot.certificate())));
            gw.cli("ctl", "remove", Thumbprints.sha256(pki.root.certificate()));
            gw.check(gw.cli("roots", "remove", Thumbprints.sha256(pki.otherRoot.certificate())));
        }
    }

    @Test
    void everyRefusalIsCountedByReason() throws Exception {
        get(pki.expiredDevice());
        assertThat(gw.gateway().refusals().counts()).containsKey("403 expired");
        gw.check(gw.cli("status"));
        assertThat(gw.out).contains("403 expired").contains("auth-pki").contains("STARTED");
    }

    private static void assertRefused(RawHttps.Reply reply, String reason) {
        assertThat(reply.status()).as(reply.head()).isEqualTo(403);
        assertThat(reply.body()).isEqualTo("403 " + reason + "\n");
    }
}
