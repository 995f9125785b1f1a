package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.PemFiles;
import org.opencmg.pki.Thumbprints;

/**
 * Certificates renewed without a restart, over real TLS on loopback. The connectors' certificate
 * and key files are replaced as certbot and cert-manager do (a new file renamed over the old one);
 * the gateway notices (file watch, or SIGHUP to its process), checks the pair and puts it in service:
 * a new handshake gets the new certificate, a connection opened before keeps working, and what reads
 * the certificate (the expiry gauge, the names the gateway answers for, ServiceMetadata) follows. A
 * broken replacement — a key of another certificate, an expired certificate, a file that is not PEM
 * — is refused, logged and counted, and the certificate in service stays.
 */
class CertificateReloadTest {

    private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";

    @ParameterizedTest(name = "tls.provider {0}")
    @ValueSource(strings = {"jdk", "conscrypt", "netty"})
    void aRenewedCertificateIsTakenFromItsFilesWhileOpenConnectionsGoOn(String provider, @TempDir Path dir)
            throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var gw = GatewayFixture.withChannelsAndConfig(
                Files.createDirectories(dir.resolve("gw")),
                pki,
                "tls: {provider: " + provider + ", watch-interval: 200ms}\n")) {
            var ctx = pki.clientContext(null);
            var before = RawHttps.open(ctx, gw.clientPort());
            assertThat(before.exchange(HEALTH).status()).isEqualTo(200);
            assertThat(served(before)).isEqualTo(pki.server.certificate().getSerialNumber());
            assertThat(metadata(pki, gw, "renewed.example.test").status())
                    .as("a name the first certificate lacks")
                    .isEqualTo(421);

            var renewed = serverCertificate(pki, Instant.now().plus(Duration.ofDays(400)));
            install(pki, renewed.certificate(), renewed);

            Awaitility.await("a new handshake gets the renewed certificate")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> servedToANewConnection(pki, gw)
                            .equals(renewed.certificate().getSerialNumber()));
            assertThat(before.exchange(HEALTH).status())
                    .as("the connection opened before goes on")
                    .isEqualTo(200);
            assertThat(served(before))
                    .as("with the session it had")
                    .isEqualTo(pki.server.certificate().getSerialNumber());
            before.close();

            assertThat(gw.metric("cmg_certificate_reloads_total{connector=\"client\",outcome=\"reloaded\"}"))
                    .isEqualTo(1.0);
            // The channel and admin connectors default to the client connector's files: they follow too.
            assertThat(gw.metric("cmg_certificate_reloads_total{connector=\"admin\",outcome=\"reloaded\"}"))
                    .isEqualTo(1.0);
            assertThat(gw.metric("cmg_certificate_expiry_seconds{connector=\"client\"}"))
                    .isCloseTo(Duration.ofDays(400).toSeconds(), org.assertj.core.data.Offset.offset(600.0));
            var metadata = metadata(pki, gw, "renewed.example.test");
            assertThat(metadata.status())
                    .as("the names of the renewed certificate are served")
                    .isEqualTo(200);
            assertThat(metadata.body()).contains(Thumbprints.sha256(renewed.certificate()));

            // A certificate whose key is another's: refused, counted, the renewed one stays.
            var other = serverCertificate(pki, Instant.now().plus(Duration.ofDays(90)));
            install(pki, other.certificate(), renewed);
            awaitRefusal(gw, "key_mismatch");
            // An expired one, then a file that is no certificate.
            var expired = CertificateBuilder.leaf("gateway", pki.root)
                    .serverAuth()
                    .dnsNames("localhost")
                    .ipAddresses("127.0.0.1")
                    .validFrom(Instant.now().minus(Duration.ofDays(30)))
                    .validUntil(Instant.now().minus(Duration.ofDays(1)))
                    .build();
            install(pki, expired.certificate(), expired);
            awaitRefusal(gw, "expired");
            replace(pki.file("server.pem"), "not a certificate\n".getBytes());
            awaitRefusal(gw, "unreadable");

            assertThat(servedToANewConnection(pki, gw))
                    .isEqualTo(renewed.certificate().getSerialNumber());
            assertThat(gw.metric("cmg_certificate_reloads_total{connector=\"client\",outcome=\"reloaded\"}"))
                    .isEqualTo(1.0);
            assertThat(gw.metric("cmg_certificate_expiry_seconds{connector=\"client\"}"))
                    .isCloseTo(Duration.ofDays(400).toSeconds(), org.assertj.core.data.Offset.offset(600.0));
        }
    }

    @Test
    void sighupReloadsTheGatewayProcessesCertificatesAndABrokenPairIsLoggedAndRefused(@TempDir Path dir)
            throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var gw = GatewayFixture.processWithConfig(
                Files.createDirectories(dir.resolve("gw")),
                pki,
                "{idle: 10s}",
                "tls: {watch-interval: 0s}\n")) { // no file watch: only the signal reloads
            var ctx = pki.clientContext(null);
            var before = RawHttps.open(ctx, gw.clientPort());
            assertThat(before.exchange(HEALTH).status()).isEqualTo(200);

            var renewed = serverCertificate(pki, Instant.now().plus(Duration.ofDays(200)));
            install(pki, renewed.certificate(), renewed);
            Thread.sleep(500);
            assertThat(servedToANewConnection(pki, gw))
                    .as("nothing happens before the signal")
                    .isEqualTo(pki.server.certificate().getSerialNumber());

            long pid = gw.processHandle().pid();
            hangUp(pid);
            Awaitility.await("the renewed certificate after SIGHUP")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> servedToANewConnection(pki, gw)
                            .equals(renewed.certificate().getSerialNumber()));
            assertThat(before.exchange(HEALTH).status())
                    .as("the connection opened before goes on")
                    .isEqualTo(200);
            before.close();
            assertThat(Files.readString(gw.log()))
                    .contains("certificate reload: client: reloaded CN=gateway, serial "
                            + renewed.certificate().getSerialNumber().toString(16));

            var other = serverCertificate(pki, Instant.now().plus(Duration.ofDays(90)));
            install(pki, other.certificate(), renewed);
            hangUp(pid);
            Awaitility.await("the refusal in the log")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readString(gw.log()).contains("client: refused (key_mismatch"));
            assertThat(servedToANewConnection(pki, gw))
                    .isEqualTo(renewed.certificate().getSerialNumber());
            assertThat(gw.metric("cmg_certificate_reloads_total{connector=\"client\",outcome=\"key_mismatch\"}"))
                    .isEqualTo(1.0);
            assertThat(gw.processHandle().isAlive())
                    .as("SIGHUP does not stop the gateway")
                    .isTrue();
            assertThat(gw.processHandle().pid()).isEqualTo(pid);
            assertThat(Files.readString(gw.log())).doesNotContain("PRIVATE KEY");
        }
    }

    @Test
    void aConnectionPointPresentsItsRenewedCertificateOnNewChannelsAndKeepsTheOpenOne(@TempDir Path dir)
            throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki)) {
            gw.trustTestDevices();
            gw.publish(ChannelStreamsTest.MP, site.url("/internal/CCM_System"), ChannelStreamsTest.SITE);
            var cp = new ConnectionPointFixture(dir, pki, "cp-renew", ChannelStreamsTest.SITE);
            cp.extraConfig = "tls: {watch-interval: 200ms}\nmonitor: {port: 0}";
            cp.register(gw).start(gw.channelUrl()).awaitUp();
            try {
                var device = new DeviceClient(gw, pki.device("device-renew"));
                assertThat(device.get(ChannelStreamsTest.MP + "/before").statusCode())
                        .isEqualTo(200);
                Instant channelSince = cp.links().getFirst().since();

                var renewed = CertificateBuilder.leaf("cp-renew", pki.root)
                        .clientAuth()
                        .build();
                installPair(
                        cp.certificateFile(),
                        pki.file("cp-renew-key.pem"),
                        List.of(renewed.certificate()),
                        renewed.privateKey());

                Awaitility.await("the point reloads both identities")
                        .atMost(Duration.ofSeconds(10))
                        .until(
                                () -> cpMetrics(cp)
                                                .contains(
                                                        "cmg_cp_certificate_reloads_total{identity=\"channel\",outcome=\"reloaded\"} 1")
                                        && cpMetrics(cp)
                                                .contains(
                                                        "cmg_cp_certificate_reloads_total{identity=\"internal\",outcome=\"reloaded\"} 1"));
                assertThat(cp.links().getFirst().state())
                        .as("the open channel stays up")
                        .isEqualTo("up");
                assertThat(cp.links().getFirst().since())
                        .as("and was not redialled")
                        .isEqualTo(channelSince);
                assertThat(device.get(ChannelStreamsTest.MP + "/during").statusCode())
                        .isEqualTo(200);

                // The gateway admits the renewed certificate once it is registered; a new channel presents it.
                gw.check(gw.cli(
                        "connection-point",
                        "register",
                        "--name",
                        cp.name,
                        "--site",
                        cp.site,
                        "--cert",
                        cp.certificateFile().toString(),
                        "--connection-id",
                        cp.connectionId));
                cp.point().abortChannels();
                Awaitility.await("a new channel")
                        .atMost(Duration.ofSeconds(15))
                        .until(() -> !cp.links().getFirst().since().equals(channelSince));
                cp.awaitUp();
                assertThat(device.get(ChannelStreamsTest.MP + "/after").statusCode())
                        .isEqualTo(200);
            } finally {
                cp.close();
            }
        }
    }

    @Test
    void sighupReloadsAConnectionPointProcessesCertificateAndItsChannelStaysUp(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki);
                var cp = new ConnectionPointFixture(dir, pki, "cp-hup", ChannelStreamsTest.SITE)) {
            gw.trustTestDevices();
            gw.publish(ChannelStreamsTest.MP, site.url("/internal/CCM_System"), ChannelStreamsTest.SITE);
            cp.extraConfig = "tls: {watch-interval: 0s}"; // only the signal reloads
            cp.register(gw).startProcess(List.of(), gw.channelUrl());
            var device = new DeviceClient(gw, pki.device("device-hup"));
            Awaitility.await("the point's channel serves")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> device.get(ChannelStreamsTest.MP + "/before").statusCode() == 200);

            var renewed =
                    CertificateBuilder.leaf("cp-hup", pki.root).clientAuth().build();
            installPair(
                    cp.certificateFile(),
                    pki.file("cp-hup-key.pem"),
                    List.of(renewed.certificate()),
                    renewed.privateKey());
            long pid = cp.processHandle().pid();
            hangUp(pid);

            Awaitility.await("the reload in the point's log")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readString(cp.log())
                                    .contains("certificate reload: channel: reloaded CN=cp-hup, serial "
                                            + renewed.certificate()
                                                    .getSerialNumber()
                                                    .toString(16))
                            // one line per identity, the internal one just after
                            && Files.readString(cp.log()).contains("certificate reload: internal: reloaded"));
            assertThat(cp.processHandle().isAlive())
                    .as("SIGHUP does not stop the connection point")
                    .isTrue();
            assertThat(device.get(ChannelStreamsTest.MP + "/after").statusCode())
                    .as("over the channel it had")
                    .isEqualTo(200);
            assertThat(gw.openChannels()).containsExactly("cp-hup");
        }
    }

    private static String cpMetrics(ConnectionPointFixture cp) throws Exception {
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                            "http://127.0.0.1:" + cp.point().monitorPort() + "/metrics"))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
        }
    }

    /** A server certificate for localhost (and renewed.example.test), a new key, a new serial. */
    static IssuedCertificate serverCertificate(TestPki pki, Instant notAfter) {
        return CertificateBuilder.leaf("gateway", pki.root)
                .serverAuth()
                .dnsNames("localhost", "renewed.example.test")
                .ipAddresses("127.0.0.1")
                .validUntil(notAfter.truncatedTo(ChronoUnit.SECONDS))
                .build();
    }

    /** Writes the certificate (and the root) and {@code keyOf}'s key over the gateway's files. */
    static void install(TestPki pki, X509Certificate certificate, IssuedCertificate keyOf) throws IOException {
        installPair(
                pki.file("server.pem"),
                pki.file("server-key.pem"),
                List.of(certificate, pki.root.certificate()),
                keyOf.privateKey());
    }

    /** Replaces a certificate file and its key file as certbot and cert-manager do: each by rename, the key first. */
    static void installPair(
            Path certificateFile, Path keyFile, List<X509Certificate> chain, java.security.PrivateKey key)
            throws IOException {
        Path certTmp = certificateFile.resolveSibling(certificateFile.getFileName() + ".tmp");
        Path keyTmp = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
        PemFiles.writeCertificates(certTmp, chain);
        PemFiles.writePrivateKey(keyTmp, key);
        Files.move(keyTmp, keyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.move(certTmp, certificateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void replace(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void awaitRefusal(GatewayFixture gw, String reason) {
        Awaitility.await("a reload refused: " + reason)
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> gw.metric("cmg_certificate_reloads_total{connector=\"client\",outcome=\"" + reason + "\"}")
                        == 1.0);
    }

    private static void hangUp(long pid) throws Exception {
        var kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid))
                .inheritIO()
                .start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    private static BigInteger served(RawHttps.Connection connection) throws Exception {
        return ((X509Certificate) connection.socket().getSession().getPeerCertificates()[0]).getSerialNumber();
    }

    private static BigInteger servedToANewConnection(TestPki pki, GatewayFixture gw) throws Exception {
        try (var c = RawHttps.open(pki.clientContext(null), gw.clientPort())) {
            return served(c);
        }
    }

    private static RawHttps.Reply metadata(TestPki pki, GatewayFixture gw, String host) throws Exception {
        return RawHttps.exchange(
                pki.clientContext(null),
                gw.clientPort(),
                "GET /CCM_Proxy_MutualAuth/ServiceMetadata HTTP/1.1\r\nHost: " + host
                        + "\r\nConnection: close\r\n\r\n");
    }
}
