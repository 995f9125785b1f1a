package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.Thumbprints;
import org.opencmg.testkit.Postgres;

/**
 * Client notification as a specification: a device holds its notification channel on the gateway
 * (a WebSocket, or a long poll), the site posts a notification to its connection point, and the
 * device gets it through the channel, with no connection to the site held per device. Two gateway
 * instances: each delivers to the devices connected to it, and the sender learns who got it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientNotificationTest {

    static final String SITE = "PS1";
    static final String ROLE_ID = "72057594037927939";
    static final String NOTIFY = "/CCM_Proxy_MutualAuth/" + ROLE_ID + "/CCM_Notification";

    TestPki pki;
    Postgres pg;
    InternalServer site;
    GatewayFixture gw1;
    GatewayFixture gw2;
    ConnectionPointFixture cp;
    HttpClient sender = HttpClient.newHttpClient();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        site = new InternalServer(pki);
        // Two instances on one store, as behind a load balancer.
        pg = Postgres.start();
        String shared = GatewayFixture.sharedStore(dir, pg);
        gw1 = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("gw1")), pki, shared);
        gw2 = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("gw2")), pki, shared);
        gw1.trustTestDevices();
        gw1.check(gw1.cli(
                "endpoint",
                "publish",
                "--role",
                "mp",
                "--role-id",
                ROLE_ID,
                "--internal",
                site.url(""),
                "--site",
                SITE));
        cp = new ConnectionPointFixture(dir, pki, "cp-notify", SITE);
        cp.extraConfig = "monitor: {port: 0}";
        cp.register(gw1).start(gw1.channelUrl(), gw2.channelUrl()).awaitUp();
        Awaitility.await("notification streams held")
                .atMost(Duration.ofSeconds(10))
                .until(() -> cp.point().notifications().channels() == 2);
    }

    @AfterAll
    void stop() throws Exception {
        cp.close();
        gw2.close();
        gw1.close();
        pg.close();
        site.close();
    }

    @Test
    void aDeviceOnEitherInstanceGetsItsNotificationAndTheSenderLearnsWhoGotIt() throws Exception {
        var onFirst = new Notified(gw1, "device-ws-1");
        var onSecond = new Notified(gw2, "device-ws-2");
        awaitHeld(2);
        int siteRequestsBefore = site.seen.size();

        JsonNode outcome = push("{\"devices\": [\"" + onFirst.id + "\", \"" + onSecond.id + "\", \"not-connected\"], "
                + "\"message\": \"evaluate machine policy\"}");

        assertThat(onFirst.next()).isEqualTo("evaluate machine policy");
        assertThat(onSecond.next()).isEqualTo("evaluate machine policy");
        assertThat(outcome.path("channels").asInt()).isEqualTo(2);
        assertThat(outcome.path("reports").asInt()).isEqualTo(2);
        assertThat(outcome.path("delivered"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder(onFirst.id, onSecond.id);
        assertThat(outcome.path("undelivered")).extracting(JsonNode::asText).containsExactly("not-connected");
        // Nothing of it reached the site: no connection is held there per device.
        assertThat(site.seen).hasSize(siteRequestsBefore);

        // Only the devices named get it.
        push("{\"devices\": [\"" + onSecond.id + "\"], \"message\": \"only you\"}");
        assertThat(onSecond.next()).isEqualTo("only you");
        assertThat(onFirst.received.poll(500, TimeUnit.MILLISECONDS)).isNull();

        // To all: each device once, whichever instance holds it.
        JsonNode all = push("{\"all\": true, \"message\": \"run script 7\"}");
        assertThat(onFirst.next()).isEqualTo("run script 7");
        assertThat(onSecond.next()).isEqualTo("run script 7");
        assertThat(all.path("delivered_count").asInt()).as(all.toString()).isEqualTo(2);

        onFirst.close();
        onSecond.close();
    }

    @Test
    void aLongPollIsAnsweredWithTheFirstNotification() throws Exception {
        var device = new DeviceClient(gw1, pki.device("device-poll"));
        String id = Thumbprints.sha256(device.certificate.certificate());
        CompletableFuture<HttpResponse<String>> poll =
                device.http.sendAsync(device.request(NOTIFY).GET().build(), HttpResponse.BodyHandlers.ofString());
        Awaitility.await("long poll held").atMost(Duration.ofSeconds(5)).until(() -> held(gw1) >= 1);

        JsonNode outcome = push("{\"devices\": [\"" + id + "\"], \"message\": \"download policy\"}");

        HttpResponse<String> answer = poll.get(5, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("download policy");
        assertThat(outcome.path("delivered")).extracting(JsonNode::asText).containsExactly(id);
    }

    @Test
    void onlyListedSendersPostAndABadNotificationIsRefusedWithItsReason() throws Exception {
        assertThat(post("{\"message\": \"to nobody\"}").statusCode()).isEqualTo(400);
        assertThat(post("{\"all\": true, \"devices\": [\"x\"], \"message\": \"both\"}")
                        .body())
                .contains("bad_notification");
        assertThat(post("{\"all\": true, \"message\": \"" + "x".repeat(5000) + "\"}")
                        .body())
                .contains("4096");
        assertThat(post("not json").statusCode()).isEqualTo(400);
        // A notification channel is for devices: an unauthenticated one is refused like any request.
        var anonymous =
                HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
        assertThat(anonymous
                        .send(
                                HttpRequest.newBuilder(gw1.clientUrl(NOTIFY))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(401);
    }

    private JsonNode push(String json) throws Exception {
        HttpResponse<String> r = post(json);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return InternalServer.JSON.readTree(r.body());
    }

    private HttpResponse<String> post(String json) throws Exception {
        return sender.send(
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + cp.point().monitorPort() + "/notifications"))
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .header("Content-Type", "application/json")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitHeld(int n) {
        Awaitility.await(n + " notification channels held")
                .atMost(Duration.ofSeconds(5))
                .until(() -> held(gw1) + held(gw2) >= n);
    }

    /** The instance's cmg_notification_channels gauge. */
    private static int held(GatewayFixture gw) throws Exception {
        return (int) gw.metric("cmg_notification_channels");
    }

    /** A device holding a notification WebSocket on one instance. */
    final class Notified implements WebSocket.Listener {
        final String id;
        final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        final WebSocket ws;
        private final StringBuilder message = new StringBuilder();

        Notified(GatewayFixture gw, String name) throws Exception {
            var device = new DeviceClient(gw, pki.device(name));
            id = Thumbprints.sha256(device.certificate.certificate());
            var uri = URI.create(gw.clientUrl(NOTIFY).toString().replaceFirst("^https", "wss"));
            ws = device.http.newWebSocketBuilder().buildAsync(uri, this).get(10, TimeUnit.SECONDS);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            message.append(data);
            if (last) {
                received.add(message.toString());
                message.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        String next() throws InterruptedException {
            return received.poll(5, TimeUnit.SECONDS);
        }

        void close() throws Exception {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        }
    }
}
