package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channels fail the way networks do, and devices should not notice where they need not: load
 * shared round-robin, sockets reset under load, a POST caught by a dying channel, a gateway
 * restart, and a network that goes silent. Each test has its own site and connection points; the
 * network between a point and the gateway is a {@link TcpProxy} where the test must break it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChannelResilienceTest {

    Path dir;
    TestPki pki;
    InternalServer site;
    GatewayFixture gw;
    DeviceClient device;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        site = new InternalServer(pki);
        gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki);
        gw.trustTestDevices();
        device = new DeviceClient(gw, pki.device("resilience-device"));
    }

    @AfterAll
    void stop() throws Exception {
        gw.close();
        site.close();
    }

    /** Publishes an endpoint of {@code siteCode} (role id {@code role}) and returns its external path. */
    String endpoint(String siteCode, int role) {
        String external = "/CCM_Proxy_MutualAuth/" + (72057594037927000L + role) + "/CCM_System";
        gw.publish(external, site.url("/" + siteCode.toLowerCase()), siteCode);
        return external;
    }

    ConnectionPointFixture point(String name, String siteCode) throws Exception {
        return new ConnectionPointFixture(dir, pki, name, siteCode).register(gw);
    }

    @Test
    void twoConnectionPointsOfASiteShareTheLoadRoundRobin() throws Exception {
        String path = endpoint("RR", 1);
        try (var a = point("rr-a", "RR").start(gw.channelUrl()).awaitUp();
                var b = point("rr-b", "RR").start(gw.channelUrl()).awaitUp()) {
            for (int i = 0; i < 200; i++) {
                assertThat(device.get(path + "/n" + i).statusCode()).isEqualTo(200);
            }
            // The internal server tells the points apart by the client certificate each presents.
            int byA = site.servedFor("rr-a");
            int byB = site.servedFor("rr-b");
            System.out.printf("round robin: rr-a served %d, rr-b served %d%n", byA, byB);
            assertThat(byA + byB).isEqualTo(200);
            assertThat(Math.abs(byA - byB)).isLessThanOrEqualTo(Math.max(byA, byB) / 10);
        }
    }

    @Test
    void resettingOnePointsSocketsUnderASteadyStreamOfGetsFailsNoGet() throws Exception {
        String path = endpoint("CUT", 2);
        try (var proxy = new TcpProxy(gw.channelPort());
                var a = point("cut-a", "CUT").start(proxy.url()).awaitUp();
                var b = point("cut-b", "CUT").start(gw.channelUrl()).awaitUp()) {
            var ok = new AtomicInteger();
            var failures = new ConcurrentHashMap<String, Integer>();
            var running = new AtomicBoolean(true);
            var clients = new CompletableFuture<?>[4];
            for (int t = 0; t < clients.length; t++) {
                int thread = t;
                clients[t] = CompletableFuture.runAsync(
                        () -> {
                            int i = 0;
                            while (running.get()) {
                                try {
                                    HttpResponse<String> r = device.get(path + "/t" + thread + "/" + i++);
                                    if (r.statusCode() == 200) {
                                        ok.incrementAndGet();
                                    } else {
                                        failures.merge(
                                                r.statusCode() + " " + r.body().strip(), 1, Integer::sum);
                                    }
                                } catch (Exception e) {
                                    failures.merge(e.toString(), 1, Integer::sum);
                                }
                            }
                        },
                        runnable -> Thread.ofPlatform().daemon().start(runnable));
            }
            int cut = 0;
            try {
                for (int round = 0; round < 3; round++) {
                    Thread.sleep(1200);
                    int servedByA = site.servedFor("cut-a");
                    Awaitility.await("cut-a serving again")
                            .atMost(Duration.ofSeconds(5))
                            .pollInterval(Duration.ofMillis(20))
                            .until(() -> a.point().allUp() && site.servedFor("cut-a") > servedByA + 5);
                    cut += proxy.cutAll();
                }
                Thread.sleep(1000);
            } finally {
                running.set(false);
                CompletableFuture.allOf(clients).get(30, TimeUnit.SECONDS);
            }
            System.out.printf("under cuts: %d GETs ok, %d connections reset, failures %s%n", ok.get(), cut, failures);
            assertThat(cut).isGreaterThanOrEqualTo(3);
            assertThat(ok.get()).isGreaterThan(200);
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void aPostInFlightWhenItsChannelDiesGets502() throws Exception {
        String path = endpoint("POST", 3);
        try (var proxy = new TcpProxy(gw.channelPort());
                var only = point("post-a", "POST").start(proxy.url()).awaitUp()) {
            int before = site.seen.size();
            var post = CompletableFuture.supplyAsync(() -> {
                try {
                    return device.send("POST", path + "/slow?ms=5000", "<Report/>");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Awaitility.await("the POST is at the internal server")
                    .atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> site.seen.stream()
                            .skip(before)
                            .anyMatch(s -> s.path().endsWith("/slow")));

            assertThat(proxy.cutAll()).isPositive();

            HttpResponse<String> response = post.get(5, TimeUnit.SECONDS); // well before the site would have answered
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).isEqualTo("502 channel_lost\n");
        }
    }

    @Test
    void afterAGatewayRestartTheChannelsAreBackWithinFiveSeconds() throws Exception {
        String path = endpoint("RS", 4);
        try (var a = point("rs-a", "RS").start(gw.channelUrl()).awaitUp();
                var b = point("rs-b", "RS").start(gw.channelUrl()).awaitUp()) {
            assertThat(device.get(path + "/before").statusCode()).isEqualTo(200);

            gw.stop();
            Thread.sleep(1500); // the points notice, and back off while nobody listens
            gw.start();
            long listening = System.nanoTime();

            Awaitility.await("both channels back")
                    .atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> gw.openChannels().containsAll(List.of("rs-a", "rs-b")));
            System.out.printf(
                    "channels back %d ms after the gateway listened again%n",
                    (System.nanoTime() - listening) / 1_000_000);
            Awaitility.await("both points have the mappings again")
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> a.point().allUp() && b.point().allUp());
            assertThat(device.get(path + "/after").statusCode()).isEqualTo(200);
            assertThat(device.get(path + "/after").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void whenHeartbeatsStopTheGatewayMarksThePointDownAndItsOnlySiteGets503() throws Exception {
        String path = endpoint("HB", 5);
        try (var proxy = new TcpProxy(gw.channelPort());
                var only = point("hb-a", "HB").start(proxy.url()).awaitUp()) {
            assertThat(device.get(path + "/x").statusCode()).isEqualTo(200);
            assertThat(gw.channelState("hb-a")).isEqualTo("up");

            proxy.freeze();
            long silent = System.nanoTime();

            Awaitility.await("hb-a marked down")
                    .atMost(Duration.ofSeconds(16))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> "down".equals(gw.channelState("hb-a")));
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - silent);
            System.out.printf("marked down %d s after the network went silent%n", seconds);
            // The timeout is 10 s from the last heartbeat, which came up to 3 s before the silence.
            assertThat(seconds).as("not before the heartbeat timeout").isGreaterThanOrEqualTo(6);
            var response = device.get(path + "/x");
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).isEqualTo("503 no_connection_point\n");

            proxy.thaw();
            Awaitility.await("hb-a back when the network heals")
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> "up".equals(gw.channelState("hb-a")));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> device.get(path + "/x").statusCode() == 200);
        }
    }

    @Test
    void devicesThatGoAwayMidDownloadStopTheirTransferAndNothingElse() throws Exception {
        String path = endpoint("CANCEL", 6);
        try (var only = point("cancel-a", "CANCEL").start(gw.channelUrl()).awaitUp()) {
            // The point is up once it holds the mappings; the gateway counts the channel open when the
            // point's answer to that push is back, a moment later.
            Object channelSince = Awaitility.await("the gateway holds the channel")
                    .atMost(Duration.ofSeconds(5))
                    .ignoreExceptions()
                    .until(() -> channelOf("cancel-a").get("since"), java.util.Objects::nonNull);
            var impatient = pki.clientContext(pki.device("impatient-device"));
            for (int round = 0; round < 4; round++) {
                long fourGiB = 4L << 30; // far more than could pass before the end of this test
                var connection = RawHttps.open(impatient, gw.clientPort());
                var socket = connection.socket();
                socket.getOutputStream()
                        .write(("GET " + path + "/big/download?bytes=" + fourGiB
                                        + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                byte[] first = socket.getInputStream().readNBytes(1 << 20);
                assertThat(new String(first, 0, 12, java.nio.charset.StandardCharsets.US_ASCII))
                        .isEqualTo("HTTP/1.1 200");
                assertThat(site.inFlight.get()).isEqualTo(1);

                connection.close(); // the device is gone

                Awaitility.await("the internal server's transfer aborted")
                        .atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> site.inFlight.get() == 0);
                assertThat(device.get(path + "/after").statusCode()).isEqualTo(200);
            }
            // ...on the very channel it started on: one device's cancellation never cost the others theirs.
            Thread.sleep(300);
            assertThat(channelOf("cancel-a").get("since")).isEqualTo(channelSince);
            assertThat(only.point().allUp()).isTrue();
        }
    }

    // ---- helpers

    @SuppressWarnings("unchecked")
    Map<String, Object> channelOf(String point) {
        var channels = (List<Map<String, Object>>) gw.gateway().status().get("channels");
        return channels.stream()
                .filter(c -> point.equals(c.get("connection_point")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no open channel of " + point));
    }
}
