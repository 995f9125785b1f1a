package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway counts traffic per endpoint (requests, body bytes in and out, answers by status
 * class) in 5-minute windows, writes it to the store, shows it in {@code cmg status} and the admin
 * API, and loses none of it on a clean restart.
 */
class TrafficTest {

    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";
    static final String GONE = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_Incoming";

    @TempDir
    Path dir;

    /** What the device sent and received on one endpoint. */
    static final class Tally {
        long requests;
        long in;
        long out;
        final long[] classes = new long[4];

        void add(int status, long bodyIn, long bodyOut) {
            requests++;
            in += bodyIn;
            out += bodyOut;
            classes[status / 100 - 2]++;
        }
    }

    @Test
    void trafficPerEndpointIsStoredShownAndSurvivesACleanRestart() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki)) {
            gw.trustTestDevices();
            gw.publish(MP, site.url("/mp"), "PS1");
            gw.publish(GONE, "https://localhost:" + GatewayFixture.freePort() + "/gone", "PS1");
            try (var cp = new ConnectionPointFixture(dir, pki, "cp-traffic", "PS1")
                    .register(gw)
                    .start(gw.channelUrl())
                    .awaitUp()) {
                var device = new DeviceClient(gw, pki.device("counted-device"));
                var mp = new Tally();
                var gone = new Tally();
                send(device, "POST", MP + "/a", "12345", mp);
                send(device, "CCM_POST", MP + "/b", "1234567890", mp);
                send(device, "GET", MP + "/c", null, mp);
                send(device, "GET", MP + "/missing", null, mp);
                send(device, "GET", GONE + "/x", null, gone);
                gone.out = 0; // that 502 is the gateway's own answer: no byte came from the site
                assertThat(mp.classes).containsExactly(3, 0, 1, 0);
                assertThat(gone.classes).containsExactly(0, 0, 0, 1);
                // Each answer is counted a moment after the device has it; flush until all are in.
                Awaitility.await("traffic stored")
                        .atMost(Duration.ofSeconds(5))
                        .pollInterval(Duration.ofMillis(50))
                        .untilAsserted(() -> {
                            gw.gateway().flushTraffic();
                            assertStored(gw, MP, mp);
                            assertStored(gw, GONE, gone);
                        });
                gw.check(gw.cli("status"));
                assertThat(gw.out)
                        .containsPattern(Pattern.compile(Pattern.quote(MP) + "\\s+" + mp.requests + "\\s+" + mp.in
                                + "\\s+" + mp.out + "\\s+3\\s+0\\s+1\\s+0"));
                assertThat(gw.out)
                        .containsPattern(Pattern.compile(Pattern.quote(GONE) + "\\s+1\\s+0\\s+0\\s+0\\s+0\\s+0\\s+1"));

                // Counted but not yet written when the gateway stops: the clean stop writes them.
                send(device, "PUT", MP + "/d", "abc", mp);
                send(device, "GET", MP + "/e", null, mp);
                awaitAnswersFinished(gw);
                gw.restart();

                assertStored(gw, MP, mp);
                assertStored(gw, GONE, gone);
            }
        }
    }

    /**
     * A device has its whole answer a moment before the gateway's handler finishes and counts it:
     * wait until no exchange is left on the channel, and a little more, so that a stop right after
     * does not race the counting (a stop in the middle of an answer would count it as 499).
     */
    @SuppressWarnings("unchecked")
    static void awaitAnswersFinished(GatewayFixture gw) throws InterruptedException {
        Awaitility.await("answers finished")
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> ((List<Map<String, Object>>) gw.gateway().status().get("channels"))
                        .stream().allMatch(c -> ((Number) c.get("pending")).intValue() == 0));
        Thread.sleep(200);
    }

    static void send(DeviceClient device, String method, String path, String body, Tally tally) throws Exception {
        var publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        var r = device.http.send(
                device.request(path).method(method, publisher).build(), HttpResponse.BodyHandlers.ofByteArray());
        tally.add(r.statusCode(), body == null ? 0 : body.length(), r.body().length);
    }

    /** The sums over all stored windows of the endpoint, through the admin API, equal what the device saw. */
    static void assertStored(GatewayFixture gw, String endpoint, Tally expected) throws Exception {
        long[] sums = new long[7];
        String[] fields = {"requests", "bytes_in", "bytes_out", "s2xx", "s3xx", "s4xx", "s5xx"};
        for (JsonNode row : gw.api().get("traffic?hours=1")) {
            if (endpoint.equals(row.path("endpoint").asText())) {
                for (int i = 0; i < fields.length; i++) {
                    sums[i] += row.path("counts").path(fields[i]).asLong();
                }
            }
        }
        assertThat(sums)
                .as("traffic of " + endpoint + " (requests, in, out, 2xx, 3xx, 4xx, 5xx)")
                .containsExactly(
                        expected.requests,
                        expected.in,
                        expected.out,
                        expected.classes[0],
                        expected.classes[1],
                        expected.classes[2],
                        expected.classes[3]);
    }
}
