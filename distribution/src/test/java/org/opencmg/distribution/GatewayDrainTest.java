package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stopping gateway drains (shutdown.grace 1 s here): readiness turns 503 at once while liveness
 * stays 200; answers during the grace close their connections; then the connectors refuse new
 * connections, the request in flight at the site finishes with 200, and the connection point's
 * channel ends with a GOAWAY the point takes for a drain, not a failure. Real TLS, a real
 * connection point and a real internal server on loopback.
 */
class GatewayDrainTest {

    static final String SITE = ChannelStreamsTest.SITE;
    static final String MP = ChannelStreamsTest.MP;

    @Test
    void aStoppingGatewayTurnsUnreadyFinishesWhatIsInFlightAndEndsItsChannelsByGoaway(@TempDir Path dir)
            throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannelsAndConfig(
                        Files.createDirectories(dir.resolve("gw")), pki, "shutdown: {grace: 1s, timeout: 10s}\n")) {
            gw.trustTestDevices();
            gw.publish(MP, site.url("/internal/CCM_System"), SITE);
            var cp = new ConnectionPointFixture(dir, pki, "cp-drain", SITE)
                    .register(gw)
                    .start(gw.channelUrl())
                    .awaitUp();
            try {
                var device = new DeviceClient(gw, pki.device("device-drain"));
                var ctx = pki.clientContext(pki.device("device-raw"));
                assertThat(probe(gw, "/health/ready")).isEqualTo(200);
                var keptAlive = RawHttps.open(ctx, gw.clientPort());
                assertThat(keptAlive.exchange(get(MP + "/before")).head())
                        .doesNotContainIgnoringCase("connection: close");

                var slow = device.http.sendAsync(
                        device.request(MP + "/slow?ms=2500").GET().build(), HttpResponse.BodyHandlers.ofString());
                Awaitility.await("the slow request at the site")
                        .atMost(Duration.ofSeconds(5))
                        .until(() -> site.inFlight.get() == 1);
                long t0 = System.nanoTime();
                var draining = Thread.ofVirtual().start(gw.gateway()::drain);

                Awaitility.await("readiness 503")
                        .atMost(Duration.ofMillis(500))
                        .pollInterval(Duration.ofMillis(10))
                        .until(() -> probe(gw, "/health/ready") == 503);
                long unready = (System.nanoTime() - t0) / 1_000_000;
                assertThat(probe(gw, "/health/live"))
                        .as("the process still works")
                        .isEqualTo(200);
                // During the grace a request is served, and its answer ends the connection.
                var during = keptAlive.exchange(get(MP + "/during-grace"));
                assertThat(during.status()).isEqualTo(200);
                assertThat(during.head()).containsIgnoringCase("connection: close");
                keptAlive.close();

                Awaitility.await("connectors closed")
                        .atMost(Duration.ofSeconds(3))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> refused(gw.clientPort()));
                long closed = (System.nanoTime() - t0) / 1_000_000;
                assertThat(closed).as("the grace period passed first").isGreaterThanOrEqualTo(1000);

                var answer = slow.get(10, TimeUnit.SECONDS);
                assertThat(answer.statusCode())
                        .as("the request in flight finished")
                        .isEqualTo(200);
                draining.join(Duration.ofSeconds(15));
                assertThat(draining.isAlive()).isFalse();
                long drained = (System.nanoTime() - t0) / 1_000_000;
                assertThat(drained).as("it waited for the request in flight").isGreaterThan(2000);
                Awaitility.await("the connection point saw a drain")
                        .atMost(Duration.ofSeconds(2))
                        .until(() -> cp.links().getFirst().lastError().contains("drained the channel"));
                assertThat(cp.links().getFirst().state()).isNotEqualTo("up");
                System.out.printf(
                        "drain: readiness 503 after %d ms, connectors closed after %d ms, drained after %d ms%n",
                        unready, closed, drained);
            } finally {
                cp.close();
            }
        }
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    static int probe(GatewayFixture gw, String path) throws IOException {
        return RawHttps.exchange(
                        trustOnly(gw),
                        gw.clientPort(),
                        "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .status();
    }

    private static javax.net.ssl.SSLContext trustOnly(GatewayFixture gw) {
        try {
            return gw.pki.clientContext(null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean refused(int port) {
        try (var s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
