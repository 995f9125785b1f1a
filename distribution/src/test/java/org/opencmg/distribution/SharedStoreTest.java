package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.testkit.Postgres;

/**
 * Two gateway instances on one real PostgreSQL (the same Flyway migrations as on H2, the plugins'
 * included) and one master key: what an administrator changes on one instance holds on the other
 * within a second — a mapping, a setting, a bulk token block, a device block — and traffic counted by both adds up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedStoreTest {

    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";

    Path dir;
    TestPki pki;
    Postgres pg;
    GatewayFixture gw1;
    GatewayFixture gw2;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        pg = Postgres.start();
        String shared = GatewayFixture.sharedStore(dir, pg);
        gw1 = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("gw1")), pki, shared);
        gw2 = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("gw2")), pki, shared);
        gw1.trustTestDevices();
        pki.deviceFiles("explained");
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        for (var gw : new GatewayFixture[] {gw2, gw1}) {
            if (gw != null) {
                gw.close();
            }
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** Milliseconds until {@code condition} holds (polled every 20 ms), failing after 10 s. */
    static long millisUntil(BooleanSupplier condition) throws InterruptedException {
        long t0 = System.nanoTime();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - t0)
                    .as("not within 10 s")
                    .isLessThan(Duration.ofSeconds(10).toNanos());
            Thread.sleep(20);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    String explainOn(GatewayFixture gw, String path) {
        gw.cli("explain", path, "--cert", pki.file("explained.pem").toString());
        return gw.out;
    }

    @Test
    void aMappingPublishedOnOneInstanceServesOnTheOtherWithinASecond() throws Exception {
        assertThat(explainOn(gw2, MP + "/request")).contains("unmapped_path");
        gw1.publish(MP, "https://localhost:" + GatewayFixture.freePort() + "/CCM_System", "PS1");
        long ms = millisUntil(() -> explainOn(gw2, MP + "/request").contains("no_connection_point"));
        System.out.println("mapping published on gw1 reached gw2's pipeline in " + ms + " ms");
        assertThat(ms).isLessThan(1000);
    }

    @Test
    void trafficCountedByBothInstancesAddsUp() throws Exception {
        String endpoint = "/CCM_Proxy_MutualAuth/72057594037927939/SMS_MP";
        try (var site = new InternalServer(pki)) {
            gw1.publish(endpoint, site.url("/mp"), "PS2");
            try (var cp = new ConnectionPointFixture(dir, pki, "cp-shared", "PS2")
                    .register(gw1)
                    .start(gw1.channelUrl(), gw2.channelUrl())
                    .awaitUp()) {
                var tally = new TrafficTest.Tally();
                var onGw1 = new DeviceClient(gw1, pki.device("device-a"));
                var onGw2 = new DeviceClient(gw2, pki.device("device-b"));
                for (int i = 0; i < 3; i++) {
                    TrafficTest.send(onGw1, "POST", endpoint + "/a", "12345", tally);
                }
                for (int i = 0; i < 4; i++) {
                    TrafficTest.send(onGw2, "GET", endpoint + "/b", null, tally);
                }
                assertThat(tally.classes[0]).isEqualTo(7);
                TrafficTest.awaitAnswersFinished(gw1);
                TrafficTest.awaitAnswersFinished(gw2);
                org.awaitility.Awaitility.await("traffic of both stored")
                        .atMost(Duration.ofSeconds(5))
                        .pollInterval(Duration.ofMillis(50))
                        .untilAsserted(() -> {
                            gw1.gateway().flushTraffic();
                            gw2.gateway().flushTraffic();
                            TrafficTest.assertStored(gw1, endpoint, tally);
                            TrafficTest.assertStored(gw2, endpoint, tally);
                        });
            }
        }
    }

    /**
     * An endpoint's budget is the gateway's, not each instance's: a quota set on one instance reaches
     * the other within a second, and what each lets through is shared through the store (every 2 s;
     * here on demand), so 10 requests an hour means 10 over both instances.
     */
    @Test
    void anEndpointsBudgetHoldsForBothInstancesTogether() throws Exception {
        String endpoint = "/CCM_Proxy_MutualAuth/72057594037927939/SMS_Budgeted";
        try (var site = new InternalServer(pki)) {
            gw1.publish(endpoint, site.url("/budgeted"), "PS3");
            try (var cp = new ConnectionPointFixture(dir, pki, "cp-budget", "PS3")
                    .register(gw1)
                    .start(gw1.channelUrl(), gw2.channelUrl())
                    .awaitUp()) {
                gw1.check(gw1.cli("endpoint", "quota", "set", endpoint, "--window", "1h", "--requests", "10"));
                // In force on gw2: its pipeline holds the budget (not only its store), so it shares its counts.
                org.awaitility.Awaitility.await("the quota on gw2")
                        .atMost(Duration.ofSeconds(3))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> gw2.metrics().contains("cmg_quota_warn_ratio{endpoint=\"" + endpoint + "\"}"));
                var onGw1 = new DeviceClient(gw1, pki.device("budget-a"));
                var onGw2 = new DeviceClient(gw2, pki.device("budget-b"));
                for (int i = 0; i < 6; i++) {
                    assertThat(onGw1.get(endpoint + "/a").statusCode()).isEqualTo(200);
                }
                gw1.gateway().shareQuotaUse();
                gw2.gateway().shareQuotaUse();
                for (int i = 0; i < 4; i++) {
                    assertThat(onGw2.get(endpoint + "/b").statusCode())
                            .as("request %d on gw2", i + 7)
                            .isEqualTo(200);
                }
                var refused = onGw2.get(endpoint + "/b");
                assertThat(refused.statusCode()).isEqualTo(429);
                assertThat(refused.body()).isEqualTo("429 quota_exceeded\n");
                gw2.gateway().shareQuotaUse();
                gw1.gateway().shareQuotaUse();
                assertThat(onGw1.get(endpoint + "/a").statusCode())
                        .as("gw1 knows what gw2 let through")
                        .isEqualTo(429);
                assertThat(gw1.api()
                                .get("quotas")
                                .get(0)
                                .path("use")
                                .path("requests")
                                .asLong())
                        .isEqualTo(10);
                assertThat(site.seen).hasSize(10);
            }
        }
    }

    /**
     * The original needs a connection point per 4 instances; here one connection point keeps a
     * channel to each of 16 instances on the same store and serves a device on every one of them.
     */
    @Test
    void oneConnectionPointServesSixteenInstances() throws Exception {
        String endpoint = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_Incoming";
        String shared = Files.readString(gw1.dir.resolve("gateway.yaml"))
                .lines()
                .filter(l -> l.startsWith("database:") || l.startsWith("secrets:"))
                .reduce("", (a, l) -> a + l + "\n");
        var more = new java.util.ArrayList<GatewayFixture>();
        try (var site = new InternalServer(pki)) {
            gw1.publish(endpoint, site.url("/incoming"), "PS16");
            for (int i = 3; i <= 16; i++) {
                more.add(GatewayFixture.withChannelsAndConfig(
                        Files.createDirectories(dir.resolve("gw" + i)), pki, shared));
            }
            var all = new java.util.ArrayList<GatewayFixture>(List.of(gw1, gw2));
            all.addAll(more);
            var urls = all.stream().map(GatewayFixture::channelUrl).toArray(java.net.URI[]::new);
            try (var cp = new ConnectionPointFixture(dir, pki, "cp-sixteen", "PS16")
                    .register(gw1)
                    .start(urls)
                    .awaitUp()) {
                assertThat(cp.links()).hasSize(16);
                for (var gw : all) {
                    var device = new DeviceClient(gw, pki.device("device-16"));
                    var r = device.http.send(
                            device.request(endpoint + "/x").GET().build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(gw.dir + ": " + r.body()).isEqualTo(200);
                }
                System.out.println(
                        "one connection point, 16 gateway instances: 16 channels up, a device served through each");
            }
        } finally {
            for (var gw : more) {
                gw.close();
            }
        }
    }

    @Test
    void aBulkTokenBlockedOnOneInstanceIsRefusedByTheOtherWithinASecond() throws Exception {
        gw1.check(gw1.cli("token", "new"));
        String id = gw1.out
                .lines()
                .findFirst()
                .orElseThrow()
                .replaceAll(".*ID: ", "")
                .strip();
        String[] lines = gw1.out.strip().split("\n");
        Path bulk = Files.writeString(dir.resolve("bulk.jwt"), lines[lines.length - 1].strip() + "\n");
        // Registered through the other instance: the token service's keys are shared through the store.
        // A signing key made just now reaches the other instance with its next state poll (500 ms; no
        // device request reads the store), then the token service's 250 ms unknown-kid recheck. Each
        // attempt is a CLI run that makes a device key, hence the second second.
        var before = new java.util.concurrent.atomic.AtomicInteger();
        long keyMs = millisUntil(() -> registerOn(gw2, bulk, "before-" + before.incrementAndGet()) == 0);
        System.out.println("signing key made on gw1 verified by gw2 in " + keyMs + " ms");
        assertThat(keyMs).isLessThan(2000);
        gw1.check(gw1.cli("token", "block", id));
        var attempt = new java.util.concurrent.atomic.AtomicInteger();
        long ms = millisUntil(() -> registerOn(gw2, bulk, "after-" + attempt.incrementAndGet()) == 1
                && gw2.out.contains("401 token_blocked"));
        System.out.println("bulk token blocked on gw1 refused by gw2 in " + ms + " ms");
        assertThat(ms).isLessThan(1000);
    }

    @Test
    void aDeviceBlockedOnOneInstanceLosesItsAccessTokenOnTheOtherWithinASecond() throws Exception {
        gw1.check(gw1.cli("token", "new"));
        String[] lines = gw1.out.strip().split("\n");
        Path bulk = Files.writeString(dir.resolve("bulk-device.jwt"), lines[lines.length - 1].strip() + "\n");
        assertThat(registerOn(gw2, bulk, "to-block")).as(gw2.out).isZero();
        Path identity = dir.resolve("device-to-block");
        gw2.check(gw2.cli("device", "token", "--identity", identity.toString()));
        String deviceId = com.nimbusds.jwt.SignedJWT.parse(
                        Files.readString(identity.resolve("access-token.jwt")).strip())
                .getJWTClaimsSet()
                .getSubject();
        // No endpoint is published here: an accepted access token meets 404 unmapped_path, a refused one 401.
        assertThat(accessTokenOn(gw2, identity)).contains("404 unmapped_path");

        gw1.check(gw1.cli("token", "device", "block", deviceId));
        long ms = millisUntil(() -> accessTokenOn(gw2, identity).contains("401 device_blocked"));
        System.out.println("device blocked on gw1 refused by gw2 in " + ms + " ms");
        assertThat(ms).isLessThan(1000);
        assertThat(gw2.cli("device", "token", "--identity", identity.toString()))
                .isEqualTo(1);
        assertThat(gw2.out).contains("401 device_blocked");
    }

    String accessTokenOn(GatewayFixture gw, Path identity) {
        gw.cli("device", "get", "--identity", identity.toString(), "ccm_system_tokenauth/request");
        return gw.out;
    }

    @Test
    void aPackageUploadedAndAKeyRotatedOnOneInstanceServeOnTheOtherWithinASecond() throws Exception {
        gw1.check(gw1.cli(
                "settings",
                "set",
                "plugins.role-content.fs-root",
                dir.resolve("content-store").toString()));
        Path file = Files.writeString(dir.resolve("shared.txt"), "served by both instances\n");
        gw1.check(gw1.cli("content", "upload", file.toString(), "--package", "SHARED01"));
        gw1.check(gw1.cli("content", "token", "--package", "SHARED01"));
        String[] lines = gw1.out.strip().split("\n");
        String token = lines[lines.length - 1].strip();
        long located = millisUntil(() -> contentUrl(gw2, token) != null);
        System.out.println("package uploaded on gw1 located by gw2 in " + located + " ms");
        assertThat(located).isLessThan(1000);

        gw1.check(gw1.cli("content", "rotate-key"));
        String fresh = contentUrl(gw1, token);
        assertThat(fresh).contains("kid=2");
        long verified = millisUntil(() -> status(gw2, fresh) == 200);
        System.out.println("storage key rotated on gw1 verified by gw2 in " + verified + " ms");
        assertThat(verified).isLessThan(1000);
    }

    /** The first signed URL (path and query) of SHARED01 that {@code gw} locates, or null. */
    String contentUrl(GatewayFixture gw, String token) {
        try {
            var r = http().send(
                            java.net.http.HttpRequest.newBuilder(URI.create("https://localhost:" + gw.clientPort()
                                            + "/downloadrestservice.svc/getcontentxmlsecure?pid=SHARED01"))
                                    .header("Authorization", "Bearer " + token)
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
            var m = java.util.regex.Pattern.compile("Url=\"https://[^/]+([^\"]+)\"")
                    .matcher(r.body());
            return r.statusCode() == 200 && m.find() ? m.group(1).replace("&amp;", "&") : null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    int status(GatewayFixture gw, String pathAndQuery) {
        try {
            return http().send(
                            java.net.http.HttpRequest.newBuilder(
                                            URI.create("https://localhost:" + gw.clientPort() + pathAndQuery))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private java.net.http.HttpClient http;

    synchronized java.net.http.HttpClient http() throws Exception {
        if (http == null) {
            http = java.net.http.HttpClient.newBuilder()
                    .sslContext(pki.clientContext(null))
                    .version(java.net.http.HttpClient.Version.HTTP_1_1)
                    .build();
        }
        return http;
    }

    int registerOn(GatewayFixture gw, Path bulk, String name) {
        return gw.cli(
                "device",
                "register",
                "--gateway",
                "https://localhost:" + gw.clientPort(),
                "--ca",
                pki.file("root.pem").toString(),
                "--role-id",
                "72057594037927939",
                "--bulk-token",
                bulk.toString(),
                "--out",
                dir.resolve("device-" + name).toString());
    }

    boolean tls11Accepted(GatewayFixture gw) {
        try (var socket =
                (SSLSocket) pki.clientContext(null).getSocketFactory().createSocket("127.0.0.1", gw.clientPort())) {
            socket.setSoTimeout(5000);
            socket.setEnabledProtocols(new String[] {"TLSv1.1"});
            socket.startHandshake();
            socket.getOutputStream()
                    .write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void aSettingChangedOnOneInstanceHoldsOnTheOtherWithinASecond() throws Exception {
        assertThat(tls11Accepted(gw2)).isFalse();
        gw1.check(gw1.cli("settings", "set", "enforce-tls12", "off"));
        try {
            long ms = millisUntil(() -> tls11Accepted(gw2));
            System.out.println("enforce-tls12 off on gw1 held on gw2 in " + ms + " ms");
            assertThat(ms).isLessThan(1000);
        } finally {
            gw1.check(gw1.cli("settings", "set", "enforce-tls12", "on"));
        }
        millisUntil(() -> !tls11Accepted(gw2));
    }
}
