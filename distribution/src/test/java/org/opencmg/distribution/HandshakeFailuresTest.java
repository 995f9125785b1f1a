package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals before HTTP are visible too: a handshake the client connector cannot complete is counted
 * by its reason ({@code cmg_tls_handshake_failures_total}), shown in the status, and logged with the
 * client's address.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HandshakeFailuresTest {

    TestPki pki;
    GatewayFixture gw;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = new GatewayFixture(dir, pki, new RecordingForwarder());
    }

    @AfterAll
    void stop() {
        gw.close();
    }

    @Test
    void aClientWithoutACommonProtocolIsCountedAsSuch() throws Exception {
        double before = failures("no_common_protocol");
        handshake(new String[] {"TLSv1.1"}, null); // enforce-tls12 is on by default

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> failures("no_common_protocol") == before + 1);
    }

    @Test
    void aClientWithoutACommonCipherSuiteIsCountedAsSuch() throws Exception {
        double before = failures("no_common_suite");
        // Only suites authenticated by an RSA key: the gateway's key is an EC key.
        handshake(new String[] {"TLSv1.2"}, new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> failures("no_common_suite") == before + 1);
    }

    @Test
    void plainHttpOnTheTlsPortIsAMalformedHello() throws Exception {
        double before = failures("malformed_hello");
        try (var s = new Socket("127.0.0.1", gw.clientPort())) {
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.setSoTimeout(5000);
            s.getInputStream().read(new byte[256]);
        } catch (java.io.IOException e) {
            // the gateway ends it
        }

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> failures("malformed_hello") == before + 1);
        gw.check(gw.cli("status"));
        assertThat(gw.out).contains("failed TLS handshakes").contains("malformed_hello");
    }

    private void handshake(String[] protocols, String[] suites) throws Exception {
        SSLContext ctx = pki.clientContext(null);
        try (var s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", gw.clientPort())) {
            s.setEnabledProtocols(protocols);
            if (suites != null) {
                s.setEnabledCipherSuites(suites);
            }
            s.setSoTimeout(5000);
            s.startHandshake();
            throw new AssertionError("the handshake succeeded");
        } catch (javax.net.ssl.SSLException e) {
            // refused, as it must be
        }
    }

    private double failures(String reason) throws Exception {
        return gw.metric("cmg_tls_handshake_failures_total{reason=\"" + reason + "\"}");
    }
}
