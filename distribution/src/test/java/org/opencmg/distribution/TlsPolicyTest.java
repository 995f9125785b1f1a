package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * enforce-tls12: on by default, refuses TLS 1.0/1.1 and weak suites, and changes without a restart;
 * the same on every TLS provider.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ParameterizedClass(name = "tls.provider={0}")
@ValueSource(strings = {"conscrypt", "jdk", "netty"})
class TlsPolicyTest {

    @Parameter
    String provider;

    Path dir;
    TestPki pki;
    GatewayFixture gw;
    SSLContext client;

    @BeforeParameterizedClassInvocation(injectArguments = false)
    void start(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp) throws Exception {
        dir = Files.createDirectories(tmp.resolve(provider));
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = GatewayFixture.onTlsProvider(dir, pki, new RecordingForwarder(), provider);
        client = pki.clientContext(null);
    }

    @AfterParameterizedClassInvocation(injectArguments = false)
    void stop() {
        gw.close();
    }

    String handshake(String protocol, String... suites) throws Exception {
        try (var socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", gw.clientPort())) {
            socket.setSoTimeout(5000);
            socket.setEnabledProtocols(new String[] {protocol});
            if (suites.length > 0) {
                socket.setEnabledCipherSuites(suites);
            }
            socket.startHandshake();
            socket.getOutputStream()
                    .write("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            return socket.getSession().getProtocol() + " " + socket.getSession().getCipherSuite();
        }
    }

    @Test
    void theConnectorsRunOnTheConfiguredProvider() {
        assertThat(gw.runningTlsProvider()).isEqualTo(provider);
    }

    @Test
    void tls11IsRefusedWhileEnforcedAndAcceptedOnlyWhenTheSettingIsOff() throws Exception {
        assertThatThrownBy(() -> handshake("TLSv1.1")).isInstanceOf(SSLException.class);
        assertThatThrownBy(() -> handshake("TLSv1")).isInstanceOf(SSLException.class);

        gw.check(gw.cli("settings", "set", "enforce-tls12", "off"));
        try {
            assertThat(handshake("TLSv1.1")).startsWith("TLSv1.1 ");
        } finally {
            gw.check(gw.cli("settings", "set", "enforce-tls12", "on"));
        }
        assertThatThrownBy(() -> handshake("TLSv1.1")).isInstanceOf(SSLException.class);
    }

    @Test
    void tls12And13WithStrongSuitesAreAccepted() throws Exception {
        assertThat(handshake("TLSv1.3")).startsWith("TLSv1.3 TLS_AES_");
        assertThat(handshake("TLSv1.2"))
                .startsWith("TLSv1.2 TLS_ECDHE_ECDSA_WITH_")
                .contains("GCM");
    }

    /**
     * The connectors' setting does not leak into the JVM: a client of the gateway's JVM with default
     * protocols (as the JWKS, CRL and Azure clients are) refuses a server that offers only TLS 1.0/1.1.
     */
    @Test
    void outboundClientsOfTheGatewayJvmNeverSpeakTls10Or11() throws Exception {
        assertThatThrownBy(() -> handshake("TLSv1.1")).isInstanceOf(SSLException.class); // enforce-tls12 is on
        assertThat(client.getDefaultSSLParameters().getProtocols()).doesNotContain("TLSv1.1", "TLSv1");
        assertThatThrownBy(() -> outboundHandshake("TLSv1.1", "TLSv1")).isInstanceOf(SSLException.class);
        assertThat(outboundHandshake("TLSv1.2")).isEqualTo("TLSv1.2"); // the loopback server itself works
    }

    /** A handshake of a default-configured client with a loopback server that offers only {@code protocols}. */
    String outboundHandshake(String... protocols) throws Exception {
        var serverContext = SSLContext.getInstance("TLS");
        var ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", pki.server.privateKey(), "pw".toCharArray(), new java.security.cert.X509Certificate[] {
            pki.server.certificate(), pki.root.certificate()
        });
        var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "pw".toCharArray());
        serverContext.init(kmf.getKeyManagers(), null, null);
        try (var server = (javax.net.ssl.SSLServerSocket) serverContext
                .getServerSocketFactory()
                .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            server.setEnabledProtocols(protocols);
            var accepted = Thread.ofVirtual().start(() -> {
                try (var s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(5000);
                    s.startHandshake();
                } catch (java.io.IOException e) {
                    // the client refused: what the test asserts on the client side
                }
            });
            try (var socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.getLocalPort())) {
                socket.setSoTimeout(5000);
                socket.startHandshake();
                return socket.getSession().getProtocol();
            } finally {
                accepted.join(10_000);
            }
        }
    }

    @Test
    void weakSuitesAreRefusedUnderTls12() {
        assertThatThrownBy(() -> handshake("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"))
                .isInstanceOf(SSLException.class);
    }
}
