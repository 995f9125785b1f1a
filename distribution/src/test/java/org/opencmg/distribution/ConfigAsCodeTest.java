package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.testkit.Postgres;

/**
 * Configuration as code, as an administrator uses it: {@code cmg config export} of a configured
 * gateway (H2, the real plugins) applied with {@code cmg config apply} to an empty gateway on
 * PostgreSQL, through the real CLI and admin API. The export holds no secret; a dry run and a bad
 * file change nothing; the apply reproduces the export, audited as one change; a second apply has
 * nothing to do.
 */
class ConfigAsCodeTest {

    static final String ROLE_ID = "72057594037927939";
    static final String CUSTOM = "/CCM_Proxy_MutualAuth/" + ROLE_ID + "/Custom_Inventory";
    static final String CONNECTION_ID = "cp-config-connection-id-3f9a1c";
    static final String CONTENT_URL_LIFETIME = "plugins.role-content.url-lifetime-minutes";

    @TempDir
    Path dir;

    @Test
    void anExportAppliedToAnEmptyGatewayReproducesItOnceAndHoldsNoSecret() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        pki.writeCrls();
        var cp = pki.connectionPoint("cp-config");
        Path exported = dir.resolve("gateway-config.yaml");
        String token;
        try (var a = new GatewayFixture(Files.createDirectories(dir.resolve("a")), pki, new RecordingForwarder())) {
            a.trust();
            a.check(a.cli("ctl", "add", pki.file("root.pem").toString()));
            a.check(a.cli("crl", "add", pki.file("issuing.crl").toString()));
            a.check(a.cli("settings", "set", "verify-revocation", "off"));
            a.check(a.cli("settings", "set", CONTENT_URL_LIFETIME, "60"));
            a.check(a.cli(
                    "endpoint",
                    "publish",
                    "--role",
                    "mp",
                    "--role-id",
                    ROLE_ID,
                    "--internal",
                    "https://mp.corp.example",
                    "--site",
                    "PS1"));
            a.publish(
                    CUSTOM,
                    "https://inventory.corp.example/Custom_Inventory",
                    "PS1",
                    "--methods",
                    "GET,POST",
                    "--auth",
                    "pki,token");
            a.check(a.cli(
                    "connection-point",
                    "register",
                    "--name",
                    "cp-config",
                    "--site",
                    "PS1",
                    "--cert",
                    pki.file("cp-config.pem").toString(),
                    "--connection-id",
                    CONNECTION_ID));
            a.check(a.cli(
                    "endpoint",
                    "quota",
                    "set",
                    CUSTOM,
                    "--window",
                    "1h",
                    "--device-requests",
                    "600",
                    "--egress",
                    "10GiB"));
            a.check(a.cli("token", "new"));
            token = a.out.strip()
                    .lines()
                    .filter(l -> l.matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no token printed: " + a.out));

            a.check(a.cli("config", "export", "-o", exported.toString()));
            assertThat(a.out).contains("wrote the configuration to " + exported);
        }
        String yaml = Files.readString(exported);
        assertThat(yaml)
                .startsWith("# OpenCMG gateway configuration")
                .contains("# Exported from gateway instance test-a at ")
                .contains(
                        "role_kind: mp\n  role_id: \"" + ROLE_ID + "\"",
                        "external_path: " + CUSTOM,
                        "kind: intermediate",
                        "BEGIN X509 CRL",
                        CONTENT_URL_LIFETIME + ": \"60\"",
                        "certificate_sha256: " + org.opencmg.pki.Thumbprints.sha256(cp.certificate()),
                        "egress_bytes: 10737418240");
        // Never a secret: not the connection ID, the admin password, the master key, a token or a private key.
        String masterKey = Files.readString(dir.resolve("a/data/master.key")).strip();
        assertThat(yaml)
                .doesNotContain(CONNECTION_ID)
                .doesNotContain(GatewayFixture.ADMIN_PASSWORD)
                .doesNotContain(masterKey)
                .doesNotContain(token)
                .doesNotContain("PRIVATE KEY")
                .doesNotContainIgnoringCase("connection_id");

        try (var pg = Postgres.start();
                var b = GatewayFixture.withChannelsAndConfig(
                        Files.createDirectories(dir.resolve("b")),
                        pki,
                        GatewayFixture.sharedStore(dir.resolve("b"), pg))) {
            String empty = export(b);

            assertThat(b.cli("config", "apply", exported.toString(), "--dry-run"))
                    .as(b.out)
                    .isZero();
            assertThat(b.out)
                    .startsWith("Plan for " + exported + ":\n")
                    .containsPattern("(?m)^  \\+ endpoints +" + Pattern.quote(CUSTOM)
                            + "  site=PS1 internal_url=https://inventory")
                    .containsPattern("(?m)^  ~ settings +verify-revocation  true -> false$")
                    .containsPattern("(?m)^  \\+ connection_points +cp-config  site=PS1 .*a new connection ID is made")
                    .contains("Dry run: nothing was changed.")
                    .doesNotContain("New connection ID");
            assertThat(export(b)).as("a dry run changes nothing").isEqualTo(empty);
            // Through the API: a mistyped flag is refused, never taken for an apply; a body a form could send is
            // refused.
            byte[] body = Files.readAllBytes(exported);
            assertThatThrownBy(() -> b.api().post("config?dry_run=yes", body, "application/yaml"))
                    .hasMessage("dry_run takes true or false, not 'yes'");
            assertThatThrownBy(() -> b.api().post("config", body, "text/plain"))
                    .hasMessageContaining("Content-Type must be");
            assertThat(export(b)).isEqualTo(empty);

            assertThat(b.cli("config", "apply", exported.toString())).as(b.out).isZero();
            assertThat(b.out)
                    .contains("Applied in one transaction, audited as config.apply.")
                    .containsPattern("New connection ID of cp-config: [0-9a-f-]{36} \\(shown only now");
            assertThat(export(b)).as("the round trip").isEqualTo(withoutExportLine(yaml));

            assertThat(b.cli("config", "apply", exported.toString())).as(b.out).isZero();
            assertThat(b.out)
                    .contains("0 to add, 0 to change, 0 to remove;")
                    .contains("Nothing to change: the gateway already matches the file.");
            var audit = b.api().get("audit?limit=1000");
            int applies = 0;
            for (var e : audit) {
                if (e.path("action").asText().equals("config.apply")) {
                    applies++;
                    assertThat(e.path("detail").asText()).contains(" to add, 2 to change, 0 to remove (endpoints +");
                }
            }
            assertThat(applies)
                    .as("one audit entry for the apply that changed something")
                    .isEqualTo(1);

            // A bad entry: refused whole, named by its section and index.
            Path bad = dir.resolve("bad.yaml");
            Files.writeString(bad, yaml.replace("  window: 1h", "  window: 1y").replace("site: PS1", "site: PS2"));
            assertThat(b.cli("config", "apply", bad.toString())).isEqualTo(1);
            assertThat(b.out).startsWith("refused (400): quotas[0]: window:");
            assertThat(export(b)).isEqualTo(withoutExportLine(yaml));
        }
    }

    /** {@code cmg config export} of a gateway, without its "Exported from" line. */
    private static String export(GatewayFixture gw) {
        gw.check(gw.cli("config", "export"));
        return withoutExportLine(gw.out);
    }

    private static String withoutExportLine(String yaml) {
        return yaml.replaceFirst("(?m)^# Exported from .*\n", "");
    }
}
