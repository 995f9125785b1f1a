package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.connectionpoint.LinkStatus;
import org.opencmg.testkit.Postgres;

/**
 * Gateway instances sharing a store know each other (a heartbeat row each) and tell their connection
 * points where to dial them: a point configured with one instance finds the other by itself, keeps
 * one channel per instance whatever address it learnt it under, and stops dialling an instance that
 * stopped. (TopologyTest does the same with processes, a killed instance and HAProxy.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayMembershipTest {

    static final String MEMBERSHIP = "membership: {heartbeat: 1s, expiry: 3s}\n";

    TestPki pki;
    Postgres pg;
    GatewayFixture gw1;
    GatewayFixture gw2;
    Path dir;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        pg = Postgres.start();
        String shared = GatewayFixture.sharedStore(dir, pg) + MEMBERSHIP;
        gw1 = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("gw1")), pki, shared);
        gw2 = GatewayFixture.withChannelsAndConfig(Files.createDirectories(dir.resolve("gw2")), pki, shared);
    }

    @AfterAll
    void stop() {
        gw2.close();
        gw1.close();
        pg.close();
    }

    @Test
    void aPointConfiguredWithOneInstanceDialsTheOtherAndDropsItWhenItStops() throws Exception {
        try (var cp = new ConnectionPointFixture(dir, pki, "cp-one", "PS1")) {
            cp.register(gw1).start(gw1.channelUrl());
            // The instances advertise the address their channel connector is bound to: 127.0.0.1.
            String second = "https://127.0.0.1:" + gw2.channelPort();
            Awaitility.await("the point dials the instance it was not told of")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> up(cp.links()).contains(second));
            // Only that one (an instance stopped by another test may be listed for one more heartbeat).
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(cp.links())
                            .filteredOn(LinkStatus::discovered)
                            .extracting(l -> l.gateway().toString())
                            .containsExactly(second));
            assertThat(gw2.openChannels()).containsExactly("cp-one");
            assertThat(instances(gw1)).containsEntry(instanceOf(gw2), "up").containsEntry(instanceOf(gw1), "up");

            String secondName = instanceOf(gw2);
            gw2.stop(); // a clean stop: shown stopped (not gone), no longer listed, no longer dialled
            Awaitility.await("the stopped instance is no longer dialled")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> cp.links().stream().noneMatch(LinkStatus::discovered));
            assertThat(cp.links())
                    .extracting(l -> l.gateway().toString())
                    .containsExactly(gw1.channelUrl().toString());
            assertThat(instances(gw1)).containsEntry(instanceOf(gw1), "up").containsEntry(secondName, "stopped");
            gw2.start();
            Awaitility.await("the restarted instance is dialled again")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> up(cp.links()).contains("https://127.0.0.1:" + gw2.channelPort()));
        }
    }

    @Test
    void aPointConfiguredWithBothKeepsOneChannelPerInstance() throws Exception {
        try (var cp = new ConnectionPointFixture(dir, pki, "cp-both", "PS1")) {
            cp.register(gw1).start(gw1.channelUrl(), gw2.channelUrl()).awaitUp();
            // Both instances list each other under 127.0.0.1 URLs the point was configured with as localhost.
            Thread.sleep(4000);
            assertThat(cp.links()).hasSize(2).noneMatch(LinkStatus::discovered).allMatch(l -> "up".equals(l.state()));
            assertThat(gw1.openChannels()).containsExactly("cp-both");
            assertThat(gw2.openChannels()).containsExactly("cp-both");
            assertThat(gw1.gateway().refusals().counts().keySet()).noneMatch(k -> k.contains("channel_duplicate"));
            assertThat(gw2.gateway().refusals().counts().keySet()).noneMatch(k -> k.contains("channel_duplicate"));
        }
    }

    @Test
    void anInstanceWithoutAChannelOtherInstancesHaveIsNotReady() throws Exception {
        var site = new InternalServer(pki);
        // A third instance whose advertised channel URL nobody can dial: the point never reaches it.
        try (var gw3 = GatewayFixture.withChannelsAndConfig(
                        Files.createDirectories(dir.resolve("gw3")),
                        pki,
                        GatewayFixture.sharedStore(dir, pg)
                                + "membership: {heartbeat: 1s, expiry: 3s, channel-url: \"https://127.0.0.1:1\"}\n");
                var cp = new ConnectionPointFixture(dir, pki, "cp-ps9", "PS9")) {
            gw1.check(gw1.cli(
                    "endpoint",
                    "publish",
                    "--external",
                    "/PS9_Role",
                    "--internal",
                    site.url("/internal"),
                    "--site",
                    "PS9"));
            cp.register(gw1).start(gw1.channelUrl()); // not all its links come up: gw3's advertised URL is dead
            Awaitility.await("the other instances reach site PS9")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> gw1.openChannels().contains("cp-ps9")
                            && gw2.openChannels().contains("cp-ps9"));
            var probe = new DeviceClient(gw3, null);
            Awaitility.await("gw3, which site PS9 cannot reach, is not ready")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> probe.get("/health/ready").statusCode() == 503);
            assertThat(probe.get("/health/ready").body())
                    .contains("no channel for site PS9 (other instances have one)");
            assertThat(new DeviceClient(gw1, null).get("/health/ready").statusCode())
                    .isEqualTo(200);
            gw1.check(gw1.cli("endpoint", "unpublish", "/PS9_Role"));
        } finally {
            site.close();
        }
    }

    private static List<String> up(List<LinkStatus> links) {
        return links.stream()
                .filter(l -> "up".equals(l.state()))
                .map(l -> l.gateway().toString())
                .toList();
    }

    private static String instanceOf(GatewayFixture gw) {
        return String.valueOf(gw.gateway().status().get("instance"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> instances(GatewayFixture gw) {
        var out = new java.util.TreeMap<String, String>();
        for (var row : (List<Map<String, Object>>) gw.gateway().status().get("instances")) {
            out.put(String.valueOf(row.get("instance")), String.valueOf(row.get("state")));
        }
        return out;
    }
}
