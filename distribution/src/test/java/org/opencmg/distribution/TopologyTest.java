package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-instance topology exactly as {@code topology/topology.sh up} starts it — PostgreSQL,
 * HAProxy, two gateway processes, two connection point processes, the sample site — serves a device
 * through the load balancer, and keeps serving when a gateway instance is killed with SIGKILL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
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
        return URI.create(topology.env.getProperty("LB_URL") + "/CCM_Proxy_MutualAuth/" + topology.env.getProperty("MP_ROLE_ID")
                + "/SMS_MP/.sms_aut?MPLIST");
    }

    boolean served() {
        try {
            var r = topology.device.send(HttpRequest.newBuilder(throughLoadBalancer()).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("<MPList>");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
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
        System.out.printf("gateway 1 killed: %d requests served, %d failed, the last failure %d ms after the kill%n", ok, failed,
                recoveredMs);
        assertThat(recoveredMs).as("HAProxy takes a dead instance out within its health-check window").isLessThan(4000);
        for (int i = 0; i < 20; i++) {
            assertThat(served()).as("after recovery, request " + i).isTrue();
        }
    }
}
