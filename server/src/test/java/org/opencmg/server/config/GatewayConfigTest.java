package org.opencmg.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayConfigTest {

    private static final String MINIMAL = """
            client:
              certificate: tls/client.pem
              key: tls/client.key
            """;

    @TempDir
    Path dir;

    Path etc;

    @BeforeEach
    void makeConfigFolder() throws IOException {
        etc = Files.createDirectories(dir.resolve("etc"));
    }

    private GatewayConfig load(String yaml) throws IOException {
        Path file = etc.resolve("gateway.yaml");
        Files.writeString(file, yaml);
        return GatewayConfig.load(file);
    }

    @Test
    void minimalFileGetsTheDefaults() throws IOException {
        GatewayConfig c = load(MINIMAL);

        assertThat(c.client().host()).isEqualTo("0.0.0.0");
        assertThat(c.client().port()).isEqualTo(443);
        assertThat(c.admin().host()).isEqualTo("127.0.0.1");
        assertThat(c.admin().port()).isEqualTo(9443);
        assertThat(c.dataDir()).isEqualTo(etc.resolve("data"));
        assertThat(c.pluginsDir()).isEqualTo(etc.resolve("plugins"));
        assertThat(c.authOrder()).containsExactly("pki", "token", "entra");
        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.timeouts().header()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.instance()).isEqualTo(java.net.InetAddress.getLocalHost().getHostName() + "-443");
        assertThat(c.adminAccount().user()).isEqualTo("admin");
        assertThat(c.adminAccount().initialPasswordFile()).isEqualTo(etc.resolve("data/initial-admin-password"));
    }

    @Test
    void adminListenerUsesTheClientCertificateByDefault() throws IOException {
        GatewayConfig c = load(MINIMAL);

        assertThat(c.admin().certificate())
                .isEqualTo(c.client().certificate())
                .isEqualTo(etc.resolve("tls/client.pem"));
        assertThat(c.admin().key()).isEqualTo(c.client().key()).isEqualTo(etc.resolve("tls/client.key"));
    }

    @Test
    void databaseDefaultsToAnH2FileUnderTheDataDir() throws IOException {
        GatewayConfig c = load(MINIMAL);

        assertThat(c.database().url())
                .isEqualTo("jdbc:h2:file:" + etc.resolve("data").resolve("cmg"));
        assertThat(c.database().user()).isEqualTo("cmg");
        assertThat(c.database().passwordEnv()).isNull();
        assertThat(c.database().poolSize()).isEqualTo(8);
    }

    @Test
    void h2DefaultFollowsAConfiguredDataDir() throws IOException {
        GatewayConfig c = load(MINIMAL + "data-dir: /var/lib/opencmg\n");

        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/opencmg"));
        assertThat(c.database().url()).isEqualTo("jdbc:h2:file:/var/lib/opencmg/cmg");
    }

    @Test
    void resolvesRelativePathsAgainstTheFilesFolder() throws IOException {
        GatewayConfig c = load("""
                data-dir: ../var
                plugins-dir: ext/plugins
                client:
                  certificate: ../tls/./client.pem
                  key: /abs/client.key
                admin:
                  certificate: admin.pem
                  key: admin.key
                admin-account:
                  initial-password-file: secrets/pw
                """);

        assertThat(c.dataDir()).isEqualTo(dir.resolve("var"));
        assertThat(c.pluginsDir()).isEqualTo(etc.resolve("ext/plugins"));
        assertThat(c.client().certificate()).isEqualTo(dir.resolve("tls/client.pem"));
        assertThat(c.client().key()).isEqualTo(Path.of("/abs/client.key"));
        assertThat(c.admin().certificate()).isEqualTo(etc.resolve("admin.pem"));
        assertThat(c.admin().key()).isEqualTo(etc.resolve("admin.key"));
        assertThat(c.adminAccount().initialPasswordFile()).isEqualTo(etc.resolve("secrets/pw"));
        assertThat(c.database().url()).isEqualTo("jdbc:h2:file:" + dir.resolve("var/cmg"));
    }

    @Test
    void readsEveryKey() throws IOException {
        GatewayConfig c = load("""
                instance: cmg-west-1
                database:
                  url: jdbc:postgresql://db.corp.example/cmg
                  user: gateway
                  password-env: CMG_DB_PASSWORD
                  password-file: secrets/db-password
                  pool-size: 3
                client:
                  host: 10.0.0.4
                  port: 8443
                  certificate: tls/client.pem
                  key: tls/client.key
                admin:
                  host: 0.0.0.0
                  port: 9000
                auth-order: [token, pki]
                timeouts:
                  idle: 45s
                admin-account:
                  user: root
                """);

        assertThat(c.instance()).isEqualTo("cmg-west-1");
        assertThat(c.database())
                .isEqualTo(new GatewayConfig.Database(
                        "jdbc:postgresql://db.corp.example/cmg",
                        "gateway",
                        "CMG_DB_PASSWORD",
                        etc.resolve("secrets/db-password"),
                        3));
        assertThat(c.client().host()).isEqualTo("10.0.0.4");
        assertThat(c.client().port()).isEqualTo(8443);
        assertThat(c.admin().host()).isEqualTo("0.0.0.0");
        assertThat(c.admin().port()).isEqualTo(9000);
        assertThat(c.authOrder()).containsExactly("token", "pki");
        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.adminAccount().user()).isEqualTo("root");
    }

    @ParameterizedTest
    @CsvSource({"45s, PT45S", "2m, PT2M", "PT1M, PT1M", "pt90s, PT90S", "1h, PT1H", "250ms, PT0.25S", "' 10S ', PT10S"})
    void readsDurations(String written, String expected) throws IOException {
        GatewayConfig c = load(MINIMAL + "timeouts:\n  idle: '" + written + "'\n  header: '" + written + "'\n");

        assertThat(c.timeouts().idle()).isEqualTo(Duration.parse(expected));
        assertThat(c.timeouts().header()).isEqualTo(Duration.parse(expected));
    }

    @Test
    void reusePortIsOffUnlessTheClientConnectorAsks() throws IOException {
        assertThat(load(MINIMAL).client().reusePort()).isFalse();

        GatewayConfig c = load("""
                client:
                  certificate: tls/client.pem
                  key: tls/client.key
                  reuse-port: true
                """);

        assertThat(c.client().reusePort()).isTrue();
        assertThat(c.channel().reusePort()).isFalse();
        assertThat(c.admin().reusePort()).isFalse();
    }

    @Test
    void refusesReusePortOnTheChannelAndAdminConnectors() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load(MINIMAL + "channel:\n  reuse-port: true\n"))
                .withMessageContaining("client connector");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load(MINIMAL + "admin:\n  reuse-port: false\n"))
                .withMessageContaining("client connector");
    }

    @Test
    void proxyProtocolIsOffByDefaultAndNeedsTheLoadBalancersAddresses() throws IOException {
        assertThat(load(MINIMAL).client().proxyProtocol()).isFalse();
        GatewayConfig c =
                load(MINIMAL + "  proxy-protocol: true\n  proxy-from: [10.0.0.5, 10.1.0.0/16, \"fd00::/8\"]\n");
        assertThat(c.client().proxyProtocol()).isTrue();
        assertThat(c.client().proxyFrom()).containsExactly("10.0.0.5", "10.1.0.0/16", "fd00::/8");
        assertThat(c.channel().proxyProtocol()).isFalse();

        // Deny by default: no list, no start; a list without the protocol, or a malformed entry, neither.
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load(MINIMAL + "  proxy-protocol: true\n"))
                .withMessageContaining("client.proxy-from");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load(MINIMAL + "  proxy-from: [10.0.0.5]\n"))
                .withMessageContaining("client.proxy-protocol");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load(MINIMAL + "  proxy-protocol: true\n  proxy-from: [10.0.0.0/99]\n"))
                .withMessageContaining("10.0.0.0/99");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load(MINIMAL + "channel:\n  proxy-protocol: true\n"))
                .withMessageContaining("client connector");
    }

    @Test
    void theShutdownDrainDefaultsToAThreeSecondGraceAndAThirtySecondTimeout() throws IOException {
        assertThat(load(MINIMAL).shutdown())
                .isEqualTo(new GatewayConfig.Shutdown(Duration.ofSeconds(3), Duration.ofSeconds(30)));
        assertThat(load(MINIMAL + "shutdown: {grace: 500ms, timeout: 2m}\n").shutdown())
                .isEqualTo(new GatewayConfig.Shutdown(Duration.ofMillis(500), Duration.ofMinutes(2)));
    }

    @Test
    void refusesADurationWithAnUnknownUnit() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load(MINIMAL + "timeouts:\n  idle: 5d\n"))
                .withMessageContaining("bad duration");
    }

    @Test
    void refusesAnUnknownKey() {
        assertThatThrownBy(() -> load(MINIMAL + "colour: blue\n"))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("colour");
    }

    @Test
    void refusesAnUnknownNestedKey() {
        assertThatThrownBy(() -> load(MINIMAL + "timeouts:\n  idle: 30s\n  handshake: 5s\n"))
                .isInstanceOf(UnrecognizedPropertyException.class)
                .hasMessageContaining("handshake");
    }

    @Test
    void refusesACamelCaseKey() {
        assertThatThrownBy(() -> load(MINIMAL + "dataDir: /tmp\n")).isInstanceOf(UnrecognizedPropertyException.class);
    }

    @Test
    void refusesAFileWithoutClientCertificate() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load("client:\n  key: tls/client.key\n"))
                .withMessageContaining("client.certificate");
    }

    @Test
    void refusesAFileWithoutClientKey() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load("client:\n  certificate: tls/client.pem\n"))
                .withMessageContaining("client.key");
    }

    @Test
    void refusesAFileWithoutClientSection() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> load("instance: x\n"))
                .withMessageContaining("client.certificate");
    }

    @org.junit.jupiter.api.Test
    void theCommentedSamplesInConfigLoad() throws Exception {
        java.nio.file.Path samples =
                java.nio.file.Path.of("..", "config").toAbsolutePath().normalize();
        var gateway = GatewayConfig.load(samples.resolve("gateway.yaml"));
        org.assertj.core.api.Assertions.assertThat(gateway.channel().port()).isEqualTo(10124);
        org.assertj.core.api.Assertions.assertThat(gateway.secrets().masterKeyEnv())
                .isEqualTo("CMG_MASTER_KEY");
        var cp = org.opencmg.connectionpoint.ConnectionPointConfig.load(samples.resolve("connection-point.yaml"));
        org.assertj.core.api.Assertions.assertThat(cp.gateways()).hasSize(1);
        org.assertj.core.api.Assertions.assertThat(cp.heartbeatInterval()).isEqualTo(java.time.Duration.ofSeconds(3));
    }
}
