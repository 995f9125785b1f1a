package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection point's monitor listener ({@code monitor: {port: ...}}, loopback): liveness,
 * readiness (at least one channel up, not stopping) and Prometheus metrics (channels up, exchanges
 * in flight, forwarded, refused by reason), against a real gateway, a real internal server and real
 * device requests over TLS.
 */
class ConnectionPointMonitorTest {

    static final String SITE = ChannelStreamsTest.SITE;
    static final String MP = ChannelStreamsTest.MP;
    static final String OUTSIDE = "/CCM_Proxy_MutualAuth/72057594037927939/Outside";

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void probesAndMetricsFollowTheChannelsAndTheExchanges(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki)) {
            gw.trustTestDevices();
            gw.publish(MP, site.url("/internal/CCM_System"), SITE);
            gw.publish(OUTSIDE, site.url("/elsewhere"), SITE); // outside the point's allowed-urls
            var cp = new ConnectionPointFixture(dir, pki, "cp-monitor", SITE);
            cp.extraConfig = "monitor: {port: 0}";
            cp.allowedUrls = List.of(site.url("/internal/CCM_System"));
            cp.register(gw).start(gw.channelUrl()).awaitUp();
            try {
                int port = cp.point().monitorPort();
                assertThat(port).isPositive();
                assertThat(get(port, "/health/live").statusCode()).isEqualTo(200);
                assertThat(get(port, "/health/ready").statusCode()).isEqualTo(200);
                assertThat(get(port, "/metrics").body())
                        .contains("cmg_cp_channels_up 1\n")
                        .contains("cmg_cp_channel_up{gateway=\"" + gw.channelUrl() + "\"} 1\n")
                        .contains("cmg_cp_exchanges_forwarded_total 0\n")
                        .contains("cmg_cp_exchanges_in_flight 0\n");
                assertThat(http.send(
                                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                                .POST(HttpRequest.BodyPublishers.noBody())
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode())
                        .isEqualTo(405);
                assertThat(get(port, "/anything").statusCode()).isEqualTo(404);

                var device = new DeviceClient(gw, pki.device("device-monitor"));
                assertThat(device.get(MP + "/one").statusCode()).isEqualTo(200);
                assertThat(device.get(OUTSIDE + "/two").statusCode()).isEqualTo(403);
                assertThat(get(port, "/metrics").body())
                        .contains("cmg_cp_exchanges_forwarded_total 1\n")
                        .contains("cmg_cp_exchanges_refused_total{reason=\"internal_url_not_allowed\"} 1\n");

                // No channel: not ready (still live); the channel back: ready again.
                gw.stop();
                Awaitility.await("not ready without a channel")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> get(port, "/health/ready").statusCode() == 503);
                assertThat(get(port, "/health/ready").body()).contains("no channel up");
                assertThat(get(port, "/health/live").statusCode()).isEqualTo(200);
                assertThat(get(port, "/metrics").body()).contains("cmg_cp_channels_up 0\n");
                gw.start();
                Awaitility.await("ready with the channel back")
                        .atMost(Duration.ofSeconds(15))
                        .until(() -> get(port, "/health/ready").statusCode() == 200);

                // Stopping: not ready at once, while the exchange in flight finishes.
                var slow = device.http.sendAsync(
                        device.request(MP + "/slow?ms=2000").GET().build(), HttpResponse.BodyHandlers.ofString());
                Awaitility.await("the slow request at the site")
                        .atMost(Duration.ofSeconds(5))
                        .until(() -> site.inFlight.get() == 1);
                assertThat(get(port, "/metrics").body()).contains("cmg_cp_exchanges_in_flight 1\n");
                var stopping = Thread.ofVirtual().start(cp::close);
                Awaitility.await("draining")
                        .atMost(Duration.ofSeconds(1))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> get(port, "/health/ready").body().contains("draining"));
                assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
                stopping.join(Duration.ofSeconds(40));
            } finally {
                cp.close();
            }
        }
    }

    HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
