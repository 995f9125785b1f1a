package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The product as shipped: `cmg gateway --config FILE` from the distribution layout, as its own process. */
class GatewayProcessTest {

    @TempDir
    Path dir;

    @Test
    void theGatewayProcessServesHealthAndStopsCleanlyOnSigterm() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        int port = freePort();
        Files.writeString(dir.resolve("gateway.yaml"), """
                data-dir: data
                client: {host: 127.0.0.1, port: %d, certificate: pki/server.pem, key: pki/server-key.pem}
                admin: {port: 0}
                plugins-dir: %s
                """.formatted(
                        port, GatewayFixture.home().resolve("plugins")));
        String java = System.getProperty(
                "cmg.java",
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        var process = new ProcessBuilder(
                        java,
                        "-Xmx128m",
                        "-cp",
                        GatewayFixture.home().resolve("lib") + "/*",
                        "org.opencmg.cli.CmgCommand",
                        "gateway",
                        "--config",
                        dir.resolve("gateway.yaml").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("gateway.log").toFile())
                .start();
        boolean stopped = false;
        try {
            var http =
                    HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
            var probe = HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/health"))
                    .build();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> http.send(probe, HttpResponse.BodyHandlers.ofString())
                                    .statusCode()
                            == 200);
            assertThat(Files.readString(dir.resolve("data/initial-admin-password"))
                            .strip())
                    .hasSize(24);
            assertThat(Files.getPosixFilePermissions(dir.resolve("data/initial-admin-password"))
                            .toString())
                    .isEqualTo("[OWNER_READ, OWNER_WRITE]");
            var ready = HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/health/ready"))
                    .build();
            assertThat(http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);

            // SIGTERM: readiness 503 at once, the connector closes after the grace (3 s), the process exits 0.
            long t0 = System.nanoTime();
            process.destroy();
            Awaitility.await("readiness 503")
                    .atMost(Duration.ofSeconds(2))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> http.send(ready, HttpResponse.BodyHandlers.ofString())
                                    .statusCode()
                            == 503);
            long unready = (System.nanoTime() - t0) / 1_000_000;
            Awaitility.await("connector closed")
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> GatewayDrainTest.refused(port));
            long closed = (System.nanoTime() - t0) / 1_000_000;
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long exited = (System.nanoTime() - t0) / 1_000_000;
            stopped = true;
            assertThat(process.exitValue()).as("a drained stop exits 0").isZero();
            assertThat(unready).isLessThan(1000);
            assertThat(closed).isBetween(3000L, 6000L);
            System.out.printf(
                    "SIGTERM: readiness 503 after %d ms, connector closed after %d ms, process exited after %d ms%n",
                    unready, closed, exited);
        } finally {
            if (!stopped) {
                process.destroy(); // SIGTERM
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
        }
        String log = Files.readString(dir.resolve("gateway.log"));
        assertThat(log)
                .contains("gateway instance")
                .contains("ready")
                .contains("draining")
                .contains("stopped")
                .doesNotContain(Files.readString(dir.resolve("data/initial-admin-password"))
                        .strip());
    }

    static int freePort() throws Exception {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
