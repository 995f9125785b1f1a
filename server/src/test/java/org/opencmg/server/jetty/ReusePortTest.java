package org.opencmg.server.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.DevPki;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.server.channel.ChannelAdmission;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.store.RegisteredPoints;

/**
 * {@code client.reuse-port}: two gateway servers on one host bind the same client port with it (the
 * kernel spreads new connections over both), and the second bind fails without it.
 */
class ReusePortTest {

    @TempDir
    Path dir;

    private final List<GatewayServer> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (GatewayServer s : started) {
            s.close();
        }
    }

    @Test
    void twoServersShareTheClientPortWithReusePort() throws Exception {
        int port = freePort();
        GatewayServer first = start(config(port, true));
        GatewayServer second = start(config(port, true));

        assertThat(first.clientPort()).isEqualTo(port);
        assertThat(second.clientPort()).isEqualTo(port);
        // Each new connection goes to one of the two listeners (by a hash of its addresses):
        // 40 connections from distinct source ports reach both.
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                sockets.add(new Socket("127.0.0.1", port));
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                int a = clientConnections(first);
                int b = clientConnections(second);
                assertThat(a + b).isEqualTo(40);
                assertThat(a).isPositive();
                assertThat(b).isPositive();
            });
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void withoutReusePortTheSecondBindFails() throws Exception {
        int port = freePort();
        GatewayServer first = start(config(port, false));
        assertThat(first.clientPort()).isEqualTo(port);

        assertThatThrownBy(() -> start(config(port, false)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Failed to bind");
    }

    @Test
    void onlyOneSideAskingForItIsNotEnough() throws Exception {
        int port = freePort();
        start(config(port, false));

        assertThatThrownBy(() -> start(config(port, true))).isInstanceOf(IOException.class);
    }

    private static int clientConnections(GatewayServer server) {
        for (var c : server.jetty().getConnectors()) {
            if (GatewayServer.CLIENT.equals(c.getName())) {
                return ((ServerConnector) c).getConnectedEndPoints().size();
            }
        }
        throw new AssertionError("no client connector");
    }

    private GatewayConfig config(int clientPort, boolean reusePort) throws IOException {
        DevPki pki = DevPki.init(dir.resolve("pki"), List.of());
        Path file = Files.createTempFile(dir, "gateway", ".yaml");
        Files.writeString(file, """
                client: {host: 127.0.0.1, port: %d, certificate: %s, key: %s, reuse-port: %s}
                channel: {host: 127.0.0.1, port: 0}
                admin: {host: 127.0.0.1, port: 0}
                """.formatted(clientPort, pki.gatewayCert(), pki.gatewayKey(), reusePort));
        return GatewayConfig.load(file);
    }

    private GatewayServer start(GatewayConfig config) throws Exception {
        KeyMaterial keys =
                KeyMaterial.read(config.client().certificate(), config.client().key());
        var refusals = new Refusals(new SimpleMeterRegistry());
        var admission = new ChannelAdmission(
                () -> RegisteredPoints.NONE, refusals, Clock.systemUTC(), Duration.ofSeconds(10), 8, 8);
        // The channel is not under test here: a protocol that serves nothing stands in for it.
        var noChannel =
                new org.eclipse.jetty.server.AbstractConnectionFactory(org.opencmg.channel.ChannelProtocol.ALPN) {
                    @Override
                    public org.eclipse.jetty.io.Connection newConnection(
                            org.eclipse.jetty.server.Connector c, org.eclipse.jetty.io.EndPoint e) {
                        throw new UnsupportedOperationException("no channel in this test");
                    }
                };
        var server = new GatewayServer(
                config, keys, keys, keys, List::of, true, new Ok(), new Ok(), new Ok(), admission, noChannel, refusals);
        try {
            server.start();
        } catch (Exception e) {
            server.close();
            throw e;
        }
        started.add(server);
        return server;
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static final class Ok extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            callback.succeeded();
            return true;
        }
    }
}
