package org.opencmg.distribution;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.opencmg.server.boot.Gateway;
import org.opencmg.server.cli.CmgCommand;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.pipeline.Forwarder;

/**
 * A real gateway instance in this JVM: real TLS connectors on free loopback ports, a real H2 file,
 * and the real plugin JARs of the distribution layout loaded by PF4J. Admin commands go through
 * the real CLI and admin API.
 */
final class GatewayFixture implements AutoCloseable {

    static final String ADMIN_PASSWORD = "test-admin-password-7f3a";

    /** The product layout the build assembled (lib/, plugins/). */
    static Path home() {
        return Path.of(System.getProperty("cmg.home", "target/cmg")).toAbsolutePath();
    }

    final Path dir;
    final TestPki pki;
    private final Forwarder forwarder;
    private Gateway gateway;

    /** What the last {@link #cli} call printed (stdout and stderr). */
    String out = "";

    GatewayFixture(Path dir, TestPki pki, Forwarder forwarder) throws Exception {
        this.dir = dir;
        this.pki = pki;
        this.forwarder = forwarder;
        Files.writeString(dir.resolve("admin-password"), ADMIN_PASSWORD);
        Files.writeString(dir.resolve("gateway.yaml"), """
                instance: test-gw
                data-dir: data
                client: {host: 127.0.0.1, port: 0, certificate: %s, key: %s}
                admin: {host: 127.0.0.1, port: 0}
                plugins-dir: %s
                admin-account: {user: admin, initial-password-file: admin-password}
                timeouts: {idle: 10s}
                """.formatted(pki.file("server.pem"), pki.file("server-key.pem"), home().resolve("plugins")));
        start();
    }

    void start() throws Exception {
        gateway = Gateway.start(GatewayConfig.load(dir.resolve("gateway.yaml")), forwarder);
        Files.writeString(dir.resolve("demo.json"), """
                {"admin_url": "https://localhost:%d", "admin_user": "admin", "admin_password": "%s", "ca_cert": "%s"}
                """.formatted(gateway.adminPort(), ADMIN_PASSWORD, pki.file("root.pem")));
    }

    void restart() throws Exception {
        gateway.close();
        start();
    }

    Gateway gateway() {
        return gateway;
    }

    int clientPort() {
        return gateway.clientPort();
    }

    /** Runs {@code cmg ARGS... --demo DIR} in-process; returns the exit code, output in {@link #out}. */
    int cli(String... args) {
        var sw = new StringWriter();
        var pw = new PrintWriter(sw, true);
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (!all.isEmpty() && isAdminCommand(all.getFirst())) {
            all.add("--demo");
            all.add(dir.toString());
        }
        int code = CmgCommand.commandLine().setOut(pw).setErr(pw).execute(all.toArray(String[]::new));
        out = sw.toString();
        return code;
    }

    private static boolean isAdminCommand(String name) {
        return List.of("endpoint", "roots", "ctl", "crl", "settings", "status").contains(name);
    }

    /** Uploads the test root and intermediate, and publishes one management point endpoint. */
    void trustAndPublish() throws IOException {
        check(cli("roots", "add", pki.file("root.pem").toString()));
        check(cli("roots", "add", pki.file("intermediate.pem").toString()));
        check(cli("endpoint", "publish", "--external", "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System",
                "--internal", "https://mp.corp.example/CCM_System", "--site", "ABC", "--max-request-bytes", "1024"));
    }

    void check(int exitCode) {
        if (exitCode != 0) {
            throw new AssertionError("cli exit " + exitCode + ": " + out);
        }
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
    }
}
