package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.testkit.Postgres;

/**
 * tls.provider netty: the instances on one store seal TLS session tickets with the same key (a
 * secret of the store), so a device's session made on one instance resumes on another, in TLS 1.3
 * and 1.2, without a full handshake; and the client certificate a resumed session carries is
 * judged again on every request: revoked after its first handshake, it is refused on the resumed
 * session.
 */
class SessionResumptionTest {

    private static final String PATH = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";

    @Test
    void aSessionMadeOnOneInstanceResumesOnAnotherAndItsCertificateIsStillJudged(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        pki.writeCrls();
        try (var pg = Postgres.start()) {
            String config = GatewayFixture.sharedStore(dir, pg) + GatewayFixture.tlsProvider("netty");
            try (var a = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("a")), pki, config);
                    var b = GatewayFixture.withChannelsAndConfig(
                            Files.createDirectories(dir.resolve("b")), pki, config);
                    var balancer = new TcpProxy(a.clientPort())) {
                assertThat(a.runningTlsProvider()).isEqualTo("netty");
                a.trustAndPublish();
                a.check(a.cli("crl", "add", pki.file("root.crl").toString()));
                a.check(a.cli("crl", "add", pki.file("issuing.crl").toString()));
                var device = pki.device("roaming-device");
                // B reads the roots, mapping and CRLs from the store within a second: wait for it.
                Awaitility.await("B knows what A was given")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> RawHttps.exchange(
                                                pki.clientContext(device),
                                                b.clientPort(),
                                                "GET " + PATH
                                                        + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                                        .status()
                                == 503);

                for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                    // One client session cache per protocol: the first handshake is a full one.
                    SSLContext client = pki.clientContext(device);
                    double resumedOnB = resumed(b);
                    balancer.retarget(a.clientPort());
                    assertThat(request(client, balancer, protocol))
                            .as("authenticated on A, then no channel to the site")
                            .startsWith("HTTP/1.1 503");
                    balancer.retarget(b.clientPort());
                    assertThat(request(client, balancer, protocol))
                            .as("the same session on B")
                            .startsWith("HTTP/1.1 503");
                    assertThat(resumed(b))
                            .as(protocol + ": B resumed the session A made; A: " + tickets(a) + "; B: " + tickets(b))
                            .isEqualTo(resumedOnB + 1);
                }

                // Revoked after its session was made: refused on the resumed session, on either instance.
                SSLContext client = pki.clientContext(device);
                balancer.retarget(a.clientPort());
                assertThat(request(client, balancer, "TLSv1.3")).startsWith("HTTP/1.1 503");
                pki.writeCrls(device.certificate());
                a.check(a.cli("crl", "add", pki.file("issuing.crl").toString()));
                double resumedOnB = resumed(b);
                balancer.retarget(b.clientPort());
                awaitRefused(client, balancer);
                assertThat(resumed(b)).isGreaterThan(resumedOnB);
                assertThat(a.metric("cmg_tls_session_tickets_total{outcome=\"issued\"}"))
                        .as("A sealed the tickets")
                        .isGreaterThanOrEqualTo(3);
                assertThat(b.metric("cmg_tls_session_tickets_total{outcome=\"failed\"}"))
                        .as("B opened every ticket it got")
                        .isZero();
            }
        }
    }

    private static String tickets(GatewayFixture gw) throws Exception {
        return gw.metrics()
                .lines()
                .filter(l -> l.startsWith("cmg_tls_session_tickets_total"))
                .toList()
                .toString();
    }

    /** Sessions the instance resumed from a ticket sealed with the current key. */
    private static double resumed(GatewayFixture gw) throws Exception {
        return gw.metric("cmg_tls_session_tickets_total{outcome=\"resumed\"}");
    }

    /** B refuses the revoked certificate once it has the new CRL (other instances see it within a second). */
    private static void awaitRefused(SSLContext client, TcpProxy b) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        String answer;
        do {
            answer = request(client, b, "TLSv1.3");
            if (answer.startsWith("HTTP/1.1 403")) {
                assertThat(answer).contains("revoked");
                return;
            }
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("B still answers the revoked certificate: " + answer);
    }

    /**
     * One request on a new connection through the balancer: one address for every instance, so the
     * client's session cache offers the session it has for that address, whichever instance answers.
     */
    private static String request(SSLContext client, TcpProxy balancer, String protocol) throws IOException {
        try (var tls = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", balancer.port())) {
            tls.setSoTimeout(5000);
            tls.setEnabledProtocols(new String[] {protocol});
            var params = tls.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName("localhost")));
            tls.setSSLParameters(params);
            tls.getOutputStream()
                    .write(("GET " + PATH + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            return new String(tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
