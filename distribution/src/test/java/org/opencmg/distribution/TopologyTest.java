package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.server.jetty.KeyMaterial;

/**
 * The multi-instance topology exactly as {@code topology/topology.sh up} starts it — PostgreSQL,
 * HAProxy, two gateway processes, two connection point processes, the sample site — serves a device
 * through the load balancer, and keeps serving when a gateway instance is killed with SIGKILL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TopologyTest {

    Path dir;
    Properties env = new Properties();
    HttpClient device;
    int basePort;

    @BeforeAll
    void up(@TempDir Path tmp) throws Exception {
        dir = tmp.resolve("topology");
        basePort = 20000 + 100 * ThreadLocalRandom.current().nextInt(0, 300);
        var run = script("up");
        assertThat(run.exitCode).as(run.output).isZero();
        assertThat(run.output).contains("OpenCMG topology is up");
        try (var in = Files.newBufferedReader(dir.resolve("topology.env"))) {
            env.load(in); // KEY=value lines (the export prefix is part of the key, unused here)
        }
        KeyMaterial client = KeyMaterial.read(dir.resolve("pki/client.pem"), dir.resolve("pki/client-key.pem"));
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(client.keyStore(), KeyMaterial.TRANSIENT_PASSWORD.toCharArray());
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        KeyStore trust = KeyMaterial.trustStore(dir.resolve("pki/ca.pem"));
        tmf.init(trust);
        var tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        device = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    void down() throws Exception {
        if (device != null) {
            device.close();
        }
        var run = script("down");
        assertThat(run.exitCode).as(run.output).isZero();
        // PostgreSQL's cluster lives outside the test's folder (the postgres user must reach it).
        Path cluster = dir.resolve("pg").toRealPath();
        try (var files = Files.walk(cluster)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    record Run(int exitCode, String output) {
    }

    Run script(String command) throws IOException, InterruptedException {
        var pb = new ProcessBuilder("bash", Path.of("..", "topology", "topology.sh").toString(), command, dir.toString())
                .redirectErrorStream(true);
        pb.environment().put("CMG_HOME", GatewayFixture.home().toString());
        pb.environment().put("CMG_JAVA", GatewayFixture.java());
        pb.environment().put("TOPOLOGY_BASE_PORT", Integer.toString(basePort));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), out);
    }

    URI throughLoadBalancer() {
        return URI.create(env.getProperty("LB_URL") + "/CCM_Proxy_MutualAuth/" + env.getProperty("MP_ROLE_ID")
                + "/SMS_MP/.sms_aut?MPLIST");
    }

    boolean served() {
        try {
            var r = device.send(HttpRequest.newBuilder(throughLoadBalancer()).timeout(Duration.ofSeconds(5)).build(),
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
        long pid = Long.parseLong(Files.readString(dir.resolve("pids/gateway-1")).strip());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly)).hasValue(true); // SIGKILL
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
