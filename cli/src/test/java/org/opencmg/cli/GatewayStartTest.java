package org.opencmg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.DevPki;
import org.opencmg.server.config.GatewayConfig;

/**
 * {@code cmg gateway} as an operator meets its first failures: key material is read (and proved to
 * belong to its certificate) before anything is created on disk, and a port it may not bind is
 * explained with the capability it needs.
 */
class GatewayStartTest {

    @TempDir
    Path dir;

    DevPki pki;

    @BeforeEach
    void pki() throws Exception {
        pki = DevPki.init(dir.resolve("pki"), List.of());
        Files.createDirectories(dir.resolve("plugins"));
    }

    private Path config(Path clientKey, int clientPort) throws IOException {
        return Files.writeString(dir.resolve("gateway.yaml"), """
                data-dir: data
                plugins-dir: plugins
                client: {host: 127.0.0.1, port: %d, certificate: %s, key: %s}
                channel: {host: 127.0.0.1, port: 0, certificate: %s, key: %s}
                admin: {host: 127.0.0.1, port: 0}
                secrets: {master-key-env: CMG_TEST_UNSET_MASTER_KEY}
                """.formatted(
                        clientPort, pki.gatewayCert(), clientKey, pki.channelCert(), pki.channelKey()));
    }

    private static List<Path> tree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.sorted().toList();
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesStopsTheStartBeforeAnythingIsWritten() throws Exception {
        Path config = config(pki.channelKey(), 0);
        List<Path> before = tree(dir);
        var err = new StringWriter();
        var cli = CmgCommand.commandLine();
        cli.setErr(new PrintWriter(err));

        int exit = cli.execute("gateway", "--config", config.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString())
                .contains(
                        "error: client connector: " + pki.channelKey() + " is not the key of " + pki.gatewayCert(),
                        "nothing was started or written");
        assertThat(dir.resolve("data"))
                .as("no data-dir, H2 file, master key or admin password")
                .doesNotExist();
        assertThat(tree(dir)).isEqualTo(before);
    }

    @Test
    void anUnreadableKeyAlsoStopsItFirst() throws Exception {
        Path broken = Files.writeString(
                dir.resolve("broken-key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        var err = new StringWriter();
        var cli = CmgCommand.commandLine();
        cli.setErr(new PrintWriter(err));

        assertThat(cli.execute("gateway", "--config", config(broken, 0).toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("error: client connector:");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void aRefusedLowPortNamesTheCapabilityTheKeyAndTheWayOut() throws Exception {
        GatewayConfig config = GatewayConfig.load(config(pki.gatewayKey(), 443));
        // Jetty 12's ServerConnector.open: IOException("Failed to bind to /127.0.0.1:443", BindException)
        var jetty = new IOException("Failed to bind to /127.0.0.1:443", new BindException("Permission denied"));

        String said = BindFailure.explain(new RuntimeException(jetty), config).orElseThrow();

        assertThat(said)
                .contains(
                        "client connector cannot listen on port 443 (client.port)",
                        "CAP_NET_BIND_SERVICE",
                        "setcap cap_net_bind_service=+ep",
                        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                        "1024 or above in client.port");
    }

    @Test
    void aPortInUseIsSaidAsSuch() throws Exception {
        GatewayConfig config = GatewayConfig.load(config(pki.gatewayKey(), 8443));
        var jetty = new IOException("Failed to bind to /127.0.0.1:8443", new BindException("Address already in use"));

        assertThat(BindFailure.explain(jetty, config).orElseThrow())
                .contains(
                        "client connector cannot listen on port 8443 (client.port): another process holds it",
                        "client.reuse-port");
        assertThat(BindFailure.explain(new IOException("disk full"), config)).isEmpty();
    }

    /**
     * The real thing: a gateway process without CAP_NET_BIND_SERVICE (as root: dropped from the
     * bounding set by setpriv, so the JVM never has it) asked for port 443.
     */
    @Test
    void aGatewayProcessWithoutTheCapabilityFailsOnPort443SayingSo() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        assumeTrue(
                !root || Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "setpriv is needed to drop the capability as root");
        Path config = config(pki.gatewayKey(), 443);
        var command = new ArrayList<String>();
        if (root) {
            command.addAll(List.of("/usr/bin/setpriv", "--bounding-set=-net_bind_service"));
        }
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                CmgCommand.class.getName(),
                "gateway",
                "--config",
                config.toString()));
        var process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output)
                .contains(
                        "error: the client connector cannot listen on port 443 (client.port): ports below 1024 "
                                + "need root or the CAP_NET_BIND_SERVICE capability",
                        "(BindException: Permission denied)");
    }
}
