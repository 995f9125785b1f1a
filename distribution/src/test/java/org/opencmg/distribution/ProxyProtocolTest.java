package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code client.proxy-protocol} with {@code proxy-from: [127.0.0.1]}, byte by byte: a PROXY v2
 * header from the load balancer's address names the device, TLS with the device's certificate follows
 * on the same connection, and the site sees the named address; the load balancer's own connection
 * without a header is served as its own; a connection from 127.0.0.2 is closed unread and counted.
 * (Through a real HAProxy: TopologyTest.)
 */
class ProxyProtocolTest {

    @Test
    void theLoadBalancerNamesTheDeviceAndNobodyElseMay(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki)) {
            gw.clientOptions = ", proxy-protocol: true, proxy-from: [127.0.0.1]";
            gw.restart();
            gw.trustTestDevices();
            gw.publish(ChannelStreamsTest.MP, site.url("/internal/CCM_System"), ChannelStreamsTest.SITE);
            try (var cp = new ConnectionPointFixture(dir, pki, "cp-proxy", ChannelStreamsTest.SITE)
                    .register(gw)
                    .start(gw.channelUrl())
                    .awaitUp()) {
                SSLContext device = pki.clientContext(pki.device("device-proxy"));

                String answer = exchange(
                        device,
                        gw.clientPort(),
                        "127.0.0.1",
                        proxyV2("203.0.113.7", 40123, "127.0.0.1", gw.clientPort()),
                        "GET " + ChannelStreamsTest.MP
                                + "/behind-the-balancer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                assertThat(answer).startsWith("HTTP/1.1 200");
                var seen = site.seen.stream()
                        .filter(s -> s.path().endsWith("/behind-the-balancer"))
                        .findFirst()
                        .orElseThrow();
                assertThat(seen.values("X-OpenCMG-Client-Address")).containsExactly("203.0.113.7");
                assertThat(seen.values("X-OpenCMG-Auth-Method"))
                        .containsExactly("pki"); // the device's certificate, end to end

                // The balancer's own connection (its health check), no header: served as the balancer.
                assertThat(exchange(
                                pki.clientContext(null),
                                gw.clientPort(),
                                "127.0.0.1",
                                new byte[0],
                                "GET /health/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                        .startsWith("HTTP/1.1 200");

                // Anyone else: closed before a byte is read, whatever it says, and counted.
                try (var stranger = new Socket()) {
                    stranger.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                    stranger.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gw.clientPort()), 5000);
                    stranger.setSoTimeout(5000);
                    stranger.getOutputStream().write(proxyV2("198.51.100.1", 1, "127.0.0.1", gw.clientPort()));
                    assertThat(readAll(stranger.getInputStream())).isEmpty();
                }
                Awaitility.await()
                        .atMost(Duration.ofSeconds(2))
                        .until(() -> gw.gateway().refusals().counts().getOrDefault("403 proxy_source_not_allowed", 0L)
                                == 1L);
                assertThat(site.seen)
                        .noneMatch(s -> s.values("X-OpenCMG-Client-Address").contains("198.51.100.1"));
            }
        }
    }

    /** A PROXY protocol v2 header: PROXY command, TCP over IPv4, source and destination. */
    static byte[] proxyV2(String source, int sourcePort, String destination, int destinationPort) throws IOException {
        var b = ByteBuffer.allocate(16 + 12);
        b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
        b.put(InetAddress.getByName(source).getAddress())
                .put(InetAddress.getByName(destination).getAddress());
        b.putShort((short) sourcePort).putShort((short) destinationPort);
        return b.array();
    }

    /** From {@code local}: the header, then TLS (SNI localhost) on the same connection, one request, the whole answer. */
    static String exchange(SSLContext tls, int port, String local, byte[] header, String request) throws IOException {
        try (var plain = new Socket()) {
            plain.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
            plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write(header);
            try (var socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, "localhost", port, true)) {
                socket.startHandshake();
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                return new String(readAll(socket.getInputStream()), StandardCharsets.ISO_8859_1);
            }
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (javax.net.ssl.SSLException | java.net.SocketException e) {
            return new byte[0];
        }
    }
}
