package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.opencmg.pki.KeyMaterial;

/**
 * The topology of {@code topology/topology.sh} (PostgreSQL, HAProxy, two gateway processes, two
 * connection point processes, the sample site), run from the built distribution on a random block
 * of ports, with a device HTTP client holding the topology's client certificate.
 */
final class TopologyFixture implements AutoCloseable {

    /** What a run of the script printed, and its exit code. */
    record Run(int exitCode, String output) {}

    final Path dir;
    final Properties env = new Properties();
    final HttpClient device;
    /** The device's TLS context (the topology's client certificate), for clients of other shapes. */
    final SSLContext deviceTls;
    /** Trusts the topology's CA and shows no certificate: for the gateways' probes. */
    final HttpClient probe;

    private final int basePort = basePort();

    private TopologyFixture(Path dir) throws Exception {
        this.dir = dir;
        var run = script("up");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("OpenCMG topology is up");
        try (var in = Files.newBufferedReader(dir.resolve("topology.env"))) {
            env.load(in); // KEY=value lines (the export prefix is part of the key, unused here)
        }
        KeyMaterial client = KeyMaterial.read(dir.resolve("pki/client.pem"), dir.resolve("pki/client-key.pem"));
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(client.keyStore(), KeyMaterial.TRANSIENT_PASSWORD.toCharArray());
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyMaterial.trustStore(dir.resolve("pki/ca.pem")));
        var tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        deviceTls = tls;
        device = HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        var anonymous = SSLContext.getInstance("TLS");
        anonymous.init(null, tmf.getTrustManagers(), null);
        probe = HttpClient.newBuilder()
                .sslContext(anonymous)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    /**
     * A random block of 1,000 ports from 20000 up, below the kernel's ephemeral range: a port in that
     * range may be any outgoing connection's (PostgreSQL once failed to bind one), and a killed
     * process must find its port free when it starts again.
     */
    static int basePort() {
        int ephemeralLow = 32768;
        try {
            ephemeralLow = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .strip()
                    .split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            // the usual Linux default
        }
        int blocks = Math.max(1, (ephemeralLow - 1000 - 20000) / 100);
        return 20000 + 100 * ThreadLocalRandom.current().nextInt(0, blocks);
    }

    static TopologyFixture up(Path dir) throws Exception {
        return new TopologyFixture(dir);
    }

    /** {@code topology/topology.sh COMMAND DIR} with the built distribution. */
    Run script(String command) throws IOException, InterruptedException {
        var pb = new ProcessBuilder(
                        "bash", Path.of("..", "topology", "topology.sh").toString(), command, dir.toString())
                .redirectErrorStream(true);
        pb.environment().put("CMG_HOME", GatewayFixture.home().toString());
        pb.environment().put("CMG_JAVA", GatewayFixture.java());
        pb.environment().put("TOPOLOGY_BASE_PORT", Integer.toString(basePort));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), out);
    }

    /** SIGKILL to one of the topology's processes (gateway-1, connection-point-2, ...). */
    void kill9(String process) throws IOException {
        long pid =
                Long.parseLong(Files.readString(dir.resolve("pids/" + process)).strip());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly))
                .as(process)
                .hasValue(true);
    }

    /** PostgreSQL's cluster: outside the test's folder, where the postgres user can reach it. */
    Path pgCluster() throws IOException {
        return dir.resolve("pg").toRealPath();
    }

    @Override
    public void close() throws Exception {
        device.close();
        probe.close();
        var run = script("down");
        Path cluster = pgCluster();
        try (var files = Files.walk(cluster)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        assertThat(run.exitCode()).as(run.output()).isZero();
    }
}
