package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tls.provider conscrypt or netty where its native library cannot load: the gateway says so once and
 * serves on the JDK's provider. The JVM is told it runs on another architecture, so Conscrypt and
 * Netty look for a library their JARs do not carry (as they would on an unsupported machine). A
 * connection point on Conscrypt (this JVM) dials the first gateway: the channel's ALPN works across
 * the two providers.
 */
class TlsProviderFallbackTest {

    static final String MP = RequestFilterTest.MP;

    @TempDir
    Path dir;

    @Test
    void withoutItsNativeLibraryConscryptFallsBackToTheJdkProviderLoggedOnce() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.processWithConfig(
                        Files.createDirectories(dir.resolve("gw")),
                        pki,
                        "{idle: 10s}",
                        GatewayFixture.tlsProvider("conscrypt"),
                        "-Xmx128m",
                        "-Dos.arch=aarch64")) {
            assertThat(gw.runningTlsProvider()).isEqualTo("jdk");
            assertThat(Files.readAllLines(gw.log()))
                    .filteredOn(l -> l.contains("Conscrypt's native library cannot load"))
                    .hasSize(1)
                    .allMatch(l -> l.contains(" WARN ") && l.contains("using the JDK's TLS provider instead"));

            gw.trustTestDevices();
            gw.publish(MP, site.url("/internal/CCM_System"), "PS1");
            var cp = new ConnectionPointFixture(dir, pki, "cp-fallback", "PS1").register(gw);
            cp.extraConfig = GatewayFixture.tlsProvider("conscrypt");
            try (var point = cp.start(gw.channelUrl()).awaitUp()) {
                var reply = RawHttps.exchange(
                        pki.clientContext(pki.device("fallback-device")),
                        gw.clientPort(),
                        "GET " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                assertThat(reply.status()).isEqualTo(200);
            }
        }
    }

    @Test
    void withoutItsNativeLibraryNettyFallsBackToTheJdkProviderLoggedOnce() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var gw = GatewayFixture.processWithConfig(
                Files.createDirectories(dir.resolve("gw")),
                pki,
                "{idle: 10s}",
                GatewayFixture.tlsProvider("netty"),
                "-Xmx128m",
                "-Dos.arch=aarch64")) {
            assertThat(gw.runningTlsProvider()).isEqualTo("jdk");
            assertThat(Files.readAllLines(gw.log()))
                    .filteredOn(l -> l.contains("Netty's BoringSSL cannot load here"))
                    .hasSize(1)
                    .allMatch(l -> l.contains(" WARN ") && l.contains("uses the JDK's TLS provider instead"));
            var reply = RawHttps.exchange(
                    pki.clientContext(null),
                    gw.clientPort(),
                    "GET /CCM_Proxy_MutualAuth/ServiceMetadata HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            assertThat(reply.status()).isEqualTo(200);
        }
    }
}
