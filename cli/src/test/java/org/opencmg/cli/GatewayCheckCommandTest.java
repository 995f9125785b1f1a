package org.opencmg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.DevPki;

/** {@code cmg gateway --check}: reads what a start reads, writes nothing, exits 0 or 1 with the reason. */
class GatewayCheckCommandTest {

    @TempDir
    Path dir;

    DevPki pki;
    String out;

    @BeforeEach
    void pki() throws Exception {
        pki = DevPki.init(dir.resolve("pki"), List.of());
        Files.createDirectories(dir.resolve("plugins"));
    }

    private Path config(Path clientKey) throws Exception {
        return Files.writeString(dir.resolve("gateway.yaml"), """
                data-dir: data
                plugins-dir: plugins
                client: {host: 127.0.0.1, port: 0, certificate: %s, key: %s}
                channel: {host: 127.0.0.1, port: 0, certificate: %s, key: %s}
                admin: {host: 127.0.0.1, port: 0}
                """.formatted(
                        pki.gatewayCert(), clientKey, pki.channelCert(), pki.channelKey()));
    }

    private int check(Path config) {
        var text = new StringWriter();
        var cli = CmgCommand.commandLine();
        cli.setOut(new PrintWriter(text));
        int exit = cli.execute("gateway", "--config", config.toString(), "--check");
        out = text.toString();
        return exit;
    }

    @Test
    void aGoodConfigurationPassesAndNothingIsWritten() throws Exception {
        assertThat(check(config(pki.gatewayKey()))).as(out).isZero();

        assertThat(out)
                .contains(
                        "ok   client connector: CN=gateway",
                        "ok   channel connector",
                        "ok   admin connector",
                        "does not exist yet; the first start creates it",
                        "ok   plugins in",
                        "configuration OK");
        assertThat(dir.resolve("data")).as("a check writes nothing").doesNotExist();
    }

    @Test
    void anExistingStoreIsReachedNotMigrated() throws Exception {
        Path config = config(pki.gatewayKey());
        var loaded = org.opencmg.server.config.GatewayConfig.load(config);
        org.opencmg.server.store.Database.open(loaded.database()).close(); // as a first start leaves it

        assertThat(check(config)).as(out).isZero();
        assertThat(out).contains("ok   store: " + loaded.database().url() + " answers");
    }

    @Test
    void aKeyThatIsNotTheCertificatesFailsNamingBoth() throws Exception {
        assertThat(check(config(pki.channelKey()))).isEqualTo(1);

        assertThat(out)
                .contains(
                        "FAIL client connector: " + pki.channelKey() + " is not the key of " + pki.gatewayCert(),
                        "configuration has errors");
    }

    @Test
    void aMissingCertificateFails() throws Exception {
        Files.delete(pki.channelCert());

        assertThat(check(config(pki.gatewayKey()))).isEqualTo(1);
        assertThat(out).contains("FAIL channel connector");
    }
}
