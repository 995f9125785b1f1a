package org.opencmg.distribution;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.opencmg.connectionpoint.ConnectionPoint;
import org.opencmg.connectionpoint.ConnectionPointConfig;
import org.opencmg.connectionpoint.LinkStatus;
import org.opencmg.pki.IssuedCertificate;

/**
 * A real connection point: its own certificate from the test PKI (issued by the test root, which
 * it also trusts for the gateway and for internal servers), a connection ID, a YAML config written
 * as an operator would, registered through {@code cmg connection-point register}. Runs in this JVM
 * ({@link #start}) or as {@code cmg connection-point --config FILE} ({@link #startProcess}; log in
 * {@code DIR/NAME/connection-point.log}).
 */
final class ConnectionPointFixture implements AutoCloseable {

    final Path dir;
    final TestPki pki;
    final String name;
    final String site;
    final IssuedCertificate certificate;
    String connectionId;
    /** Lines added to the YAML config (e.g. "pulls: 4"). */
    String extraConfig = "";
    /** internal.max-connections-per-server (null: the default). */
    Integer maxConnectionsPerServer;
    /** internal.allowed-urls (empty: not set). */
    List<String> allowedUrls = List.of();

    private ConnectionPoint point;
    private Process process;

    ConnectionPointFixture(Path parent, TestPki pki, String name, String site) throws Exception {
        this.dir = Files.createDirectories(parent.resolve(name));
        this.pki = pki;
        this.name = name;
        this.site = site;
        this.certificate = pki.connectionPoint(name);
        byte[] id = new byte[12];
        new SecureRandom().nextBytes(id);
        this.connectionId = "cid-" + HexFormat.of().formatHex(id);
    }

    Path certificateFile() {
        return pki.file(name + ".pem");
    }

    /** {@code cmg connection-point register --name N --site S --cert FILE --connection-id ID}. */
    ConnectionPointFixture register(GatewayFixture gw) {
        gw.check(gw.cli(
                "connection-point",
                "register",
                "--name",
                name,
                "--site",
                site,
                "--cert",
                certificateFile().toString(),
                "--connection-id",
                connectionId));
        return this;
    }

    Path config() {
        return dir.resolve("connection-point.yaml");
    }

    void writeConfig(URI... gateways) throws Exception {
        String list = Arrays.stream(gateways).map(u -> "\"" + u + "\"").collect(Collectors.joining(", "));
        Files.writeString(config(), """
                name: %s
                connection-id: %s
                certificate: %s
                key: %s
                gateway-ca: %s
                gateways: [ %s ]
                internal: {ca: %s%s}
                %s
                """.formatted(
                name,
                connectionId,
                certificateFile(),
                pki.file(name + "-key.pem"),
                pki.file("root.pem"),
                list,
                pki.file("root.pem"),
                (maxConnectionsPerServer == null ? "" : ", max-connections-per-server: " + maxConnectionsPerServer)
                        + (allowedUrls.isEmpty()
                                ? ""
                                : ", allowed-urls: ["
                                        + allowedUrls.stream()
                                                .map(u -> "\"" + u + "\"")
                                                .collect(Collectors.joining(", "))
                                        + "]"),
                extraConfig));
    }

    /** Starts the point in this JVM, dialling the given gateway channel URLs. */
    ConnectionPointFixture start(URI... gateways) throws Exception {
        writeConfig(gateways);
        point = ConnectionPoint.start(ConnectionPointConfig.load(config()));
        return this;
    }

    /** Starts {@code java OPTIONS -cp $cmg.home/lib/* ...CmgCommand connection-point --config FILE}. */
    ConnectionPointFixture startProcess(List<String> jvmOptions, URI... gateways) throws Exception {
        writeConfig(gateways);
        var command = new ArrayList<String>();
        command.add(GatewayFixture.java());
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp",
                GatewayFixture.home().resolve("lib") + "/*",
                "org.opencmg.cli.CmgCommand",
                "connection-point",
                "--config",
                config().toString()));
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start();
        return this;
    }

    Path log() {
        return dir.resolve("connection-point.log");
    }

    /** The point's process ({@link #startProcess}). */
    ProcessHandle processHandle() {
        return process.toHandle();
    }

    ConnectionPoint point() {
        return point;
    }

    List<LinkStatus> links() {
        return point.status();
    }

    /** Waits (bounded) until every link of the in-JVM point is up and has its site's mappings. */
    ConnectionPointFixture awaitUp() {
        Awaitility.await("channels of " + name + " up")
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> point.allUp() && point.status().stream().allMatch(l -> l.mappingsRevision() >= 0));
        return this;
    }

    @Override
    public void close() {
        if (point != null) {
            point.close();
            point = null;
        }
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }
}
