package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-instance topology exactly as {@code topology/topology.sh up} starts it — PostgreSQL,
 * HAProxy, two gateway processes, two connection point processes, the sample site — serves a device
 * through the load balancer, and keeps serving when a gateway instance is killed with SIGKILL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TopologyTest {

    TopologyFixture topology;

    @BeforeAll
    void up(@TempDir Path tmp) throws Exception {
        topology = TopologyFixture.up(tmp.resolve("topology"));
    }

    @AfterAll
    void down() throws Exception {
        if (topology != null) {
            topology.close();
        }
    }

    URI throughLoadBalancer() {
        return URI.create(topology.env.getProperty("LB_URL") + "/CCM_Proxy_MutualAuth/"
                + topology.env.getProperty("MP_ROLE_ID") + "/SMS_MP/.sms_aut?MPLIST");
    }

    boolean served() {
        try {
            var r = topology.device.send(
                    HttpRequest.newBuilder(throughLoadBalancer())
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("<MPList>");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * HAProxy (send-proxy-v2) names the device's address to the gateways (client.proxy-protocol,
     * proxy-from 127.0.0.1): a device on 127.0.0.2 is 127.0.0.2 in the site's X-OpenCMG-Client-Address,
     * the access log and the refusal log, with its client certificate intact; a connection straight
     * to a gateway from an address that is not a load balancer's is refused and logged.
     */
    @Test
    @Order(1)
    void theDevicesOwnAddressCrossesTheLoadBalancer() throws Exception {
        var device = HttpClient.newBuilder()
                .sslContext(topology.deviceTls)
                .localAddress(InetAddress.getByName("127.0.0.2"))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        String mp =
                topology.env.getProperty("LB_URL") + "/CCM_Proxy_MutualAuth/" + topology.env.getProperty("MP_ROLE_ID");
        var post = device.send(
                HttpRequest.newBuilder(URI.create(mp + "/CCM_System/request"))
                        .timeout(Duration.ofSeconds(10))
                        .method("CCM_POST", HttpRequest.BodyPublishers.ofString("hello"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).contains("device=\"pki:").contains("<Client>127.0.0.2</Client>");
        var refused = device.send(
                HttpRequest.newBuilder(URI.create(topology.env.getProperty("LB_URL") + "/not/mapped/proxy-check"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(404);

        // Straight to gateway 1's client port from 127.0.0.3: not a load balancer.
        var stranger = HttpClient.newBuilder()
                .sslContext(topology.deviceTls)
                .localAddress(InetAddress.getByName("127.0.0.3"))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        assertThatThrownBy(() -> stranger.send(
                        HttpRequest.newBuilder(URI.create(topology.env.getProperty("GW1_URL") + "/health"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);

        org.awaitility.Awaitility.await("the logs")
                .atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> {
                    String logs = Files.readString(topology.dir.resolve("logs/gateway-1.log"))
                            + Files.readString(topology.dir.resolve("logs/gateway-2.log"));
                    assertThat(logs)
                            .containsPattern("\\[access\\] client=127\\.0\\.0\\.2 auth=pki .*method=CCM_POST")
                            .containsPattern(
                                    "reason=unmapped_path .*target=\"/not/mapped/proxy-check\" remote=127\\.0\\.0\\.2:")
                            .containsPattern("reason=proxy_source_not_allowed .*remote=127\\.0\\.0\\.3:");
                });
        device.close();
        stranger.close();
    }

    @Test
    @Order(2)
    void aDeviceIsServedThroughTheLoadBalancerAndAfterAGatewayIsKilled() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(served()).as("request " + i).isTrue();
        }
        topology.kill9("gateway-1");
        long killedAt = System.nanoTime();
        int failed = 0;
        int ok = 0;
        long lastFailure = killedAt;
        while (System.nanoTime() - killedAt < Duration.ofSeconds(8).toNanos()) {
            if (served()) {
                ok++;
            } else {
                failed++;
                lastFailure = System.nanoTime();
            }
            Thread.sleep(20);
        }
        long recoveredMs = (lastFailure - killedAt) / 1_000_000;
        System.out.printf(
                "gateway 1 killed: %d requests served, %d failed, the last failure %d ms after the kill%n",
                ok, failed, recoveredMs);
        assertThat(recoveredMs)
                .as("HAProxy takes a dead instance out within its health-check window")
                .isLessThan(4000);
        for (int i = 0; i < 20; i++) {
            assertThat(served()).as("after recovery, request " + i).isTrue();
        }
    }

    /**
     * Membership without editing configs: a third gateway instance started on the same store is in no
     * connection point's configuration, yet both dial it within a heartbeat or two (an instance lists
     * it to them); the instance killed above is shown gone; and when the third is killed too, it is
     * shown gone and both points stop dialling it.
     */
    @Test
    @Order(3)
    void aThirdGatewayIsDialledByBothConnectionPointsAndAKilledOneIsShownGone() throws Exception {
        var run = topology.script("add-gateway");
        assertThat(run.exitCode()).as(run.output()).isZero();
        try (var in = Files.newBufferedReader(topology.dir.resolve("topology.env"))) {
            topology.env.load(in);
        }
        String third = "cmg_cp_channel_up{gateway=\"" + topology.env.getProperty("GW3_CHANNEL_URL") + "\"} ";
        long added = System.nanoTime();
        org.awaitility.Awaitility.await("both connection points dial gateway 3")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> pointMetrics("CP1_MONITOR_URL").contains(third + "1")
                        && pointMetrics("CP2_MONITOR_URL").contains(third + "1"));
        System.out.printf(
                "gateway 3 added: both connection points had a channel to it %d ms after it answered /health%n",
                (System.nanoTime() - added) / 1_000_000);
        // No point holds two channels to one instance (configured and discovered URLs of the same one).
        assertThat(pointMetrics("CP1_MONITOR_URL")).contains("cmg_cp_channels_up 2");

        org.awaitility.Awaitility.await("gateway 1, killed, shown gone")
                .atMost(Duration.ofSeconds(40))
                .until(() -> instanceState("gw1").equals("gone"));
        assertThat(instanceState("gw3")).isEqualTo("up");
        assertThat(adminGet("/metrics")).contains("cmg_gateway_instances{state=\"gone\"} 1.0");

        topology.kill9("gateway-3");
        org.awaitility.Awaitility.await("gateway 3, killed, shown gone and no longer dialled")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> instanceState("gw3").equals("gone")
                        && !pointMetrics("CP1_MONITOR_URL").contains(third)
                        && !pointMetrics("CP2_MONITOR_URL").contains(third));
        assertThat(served()).isTrue();
    }

    /**
     * Several sites, each its own boundary: a second site with two connection points of its own behind
     * the same gateways. Its devices' requests reach only its own points (the first site's points forward
     * none of them); killing both of its points leaves the first site served, its own devices refused
     * with 503 no_connection_point, and every instance ready (a site no instance reaches keeps none out).
     */
    @Test
    @Order(4)
    void aSecondSiteIsItsOwnBoundary() throws Exception {
        var run = topology.script("add-site");
        assertThat(run.exitCode()).as(run.output()).isZero();
        try (var in = Files.newBufferedReader(topology.dir.resolve("topology.env"))) {
            topology.env.load(in);
        }
        URI secondSite = URI.create(topology.env.getProperty("LB_URL") + "/CCM_Proxy_MutualAuth/"
                + topology.env.getProperty("MP2_ROLE_ID") + "/SMS_MP/.sms_aut?MPLIST2");
        double firstSitePoints = forwarded("CP1_MONITOR_URL") + forwarded("CP2_MONITOR_URL");
        double secondSitePoints = forwarded("CP3_MONITOR_URL") + forwarded("CP4_MONITOR_URL");
        for (int i = 0; i < 20; i++) {
            var r = topology.device.send(
                    HttpRequest.newBuilder(secondSite)
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("request " + i + " to site PS2").isEqualTo(200);
            assertThat(r.body()).contains("SiteCode=\"PS2\"");
        }
        assertThat(forwarded("CP1_MONITOR_URL") + forwarded("CP2_MONITOR_URL"))
                .as("site PS1's points")
                .isEqualTo(firstSitePoints);
        assertThat(forwarded("CP3_MONITOR_URL") + forwarded("CP4_MONITOR_URL"))
                .as("site PS2's points")
                .isEqualTo(secondSitePoints + 20);

        topology.kill9("connection-point-3");
        topology.kill9("connection-point-4");
        org.awaitility.Awaitility.await("site PS2 has no channel left")
                .atMost(Duration.ofSeconds(40))
                .until(() -> {
                    var r = topology.device.send(
                            HttpRequest.newBuilder(secondSite)
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 503 && r.body().equals("503 no_connection_point\n");
                });
        for (int i = 0; i < 20; i++) {
            assertThat(served())
                    .as("site PS1, request " + i + " after site PS2 lost its points")
                    .isTrue();
        }
        var ready = topology.probe.send(
                HttpRequest.newBuilder(URI.create(topology.env.getProperty("LB_URL") + "/health/ready"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    }

    /** Exchanges a connection point forwarded to its site (its own /metrics). */
    double forwarded(String monitorUrl) throws Exception {
        return pointMetrics(monitorUrl)
                .lines()
                .filter(l -> l.startsWith("cmg_cp_exchanges_forwarded_total "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
    }

    String pointMetrics(String monitorUrl) throws Exception {
        return topology.probe
                .send(
                        HttpRequest.newBuilder(URI.create(topology.env.getProperty(monitorUrl) + "/metrics"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** Gateway 2's admin API (gateway 1 was killed), as the administrator (HTTP Basic). */
    String adminGet(String path) throws Exception {
        String basic = "Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString(("admin:"
                                        + Files.readString(topology.dir.resolve("admin-password"))
                                                .strip())
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        var r = topology.probe.send(
                HttpRequest.newBuilder(URI.create(topology.env.getProperty("GW2_ADMIN_URL") + path))
                        .header("Authorization", basic)
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    String instanceState(String instance) throws Exception {
        for (var i : InternalServer.JSON.readTree(adminGet("/api/status")).path("instances")) {
            if (instance.equals(i.path("instance").asText())) {
                return i.path("state").asText();
            }
        }
        return "(absent)";
    }
}
