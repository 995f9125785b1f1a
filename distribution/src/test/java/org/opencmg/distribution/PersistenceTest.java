package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mappings, trust and settings live in the H2 file, not in memory: a restart keeps them all. */
class PersistenceTest {

    @TempDir
    Path dir;

    @Test
    void mappingsRootsAndSettingsSurviveARestart() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        var forwarder = new RecordingForwarder();
        try (var gw = new GatewayFixture(dir, pki, forwarder)) {
            gw.trustAndPublish();
            gw.check(gw.cli("settings", "set", "verify-revocation", "off"));

            gw.restart();

            gw.check(gw.cli("endpoint", "list", "--json"));
            assertThat(gw.out)
                    .contains("\"external_path\" : \"/CCM_Proxy_MutualAuth/72057594037927939/CCM_System\"")
                    .contains("\"internal_url\" : \"https://mp.corp.example/CCM_System\"")
                    .contains("\"site\" : \"ABC\"")
                    .contains("\"max_request_bytes\" : 1024")
                    .contains("\"methods\"")
                    .contains("\"auth\"");
            gw.check(gw.cli("roots", "list"));
            assertThat(gw.out).contains("CN=Test Root").contains("CN=Test Issuing CA");
            gw.check(gw.cli("settings", "get", "verify-revocation"));
            assertThat(gw.out.strip()).isEqualTo("false");

            // ...and they are in force: a device passes without any CRL because revocation is off.
            var reply = RawHttps.exchange(
                    pki.clientContext(pki.device("after-restart")),
                    gw.clientPort(),
                    "GET /CCM_Proxy_MutualAuth/72057594037927939/CCM_System/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            assertThat(reply.status()).isEqualTo(200);
        }
    }

    @Test
    void everyAdminChangeIsAuditedWithWhoAndWhat() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var gw = new GatewayFixture(dir, pki, new RecordingForwarder())) {
            gw.trustAndPublish();
            gw.check(gw.cli("endpoint", "unpublish", "/ccm_proxy_mutualauth/72057594037927939/ccm_system"));
            gw.check(gw.cli("endpoint", "list"));
            assertThat(gw.out).contains("(none)");
            var api = org.opencmg.cli.client.AdminClient.from(dir);
            var entries = api.get("audit?limit=10").toString();
            assertThat(entries)
                    .contains("endpoint.unpublish")
                    .contains("endpoint.publish")
                    .contains("trust.add")
                    .contains("\"actor\":\"admin\"");
        }
    }

    @Test
    void invalidAdminInputIsRefusedAndLosesNothing() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var gw = new GatewayFixture(dir, pki, new RecordingForwarder())) {
            gw.trustAndPublish();
            assertThat(gw.cli(
                            "endpoint", "publish", "--external", "/a/../b", "--internal", "https://x/", "--site", "S"))
                    .isEqualTo(1);
            assertThat(gw.out).contains("not canonical");
            assertThat(gw.cli("settings", "set", "enforce-tls12", "maybe")).isEqualTo(1);
            assertThat(gw.cli("settings", "set", "no-such-setting", "on")).isEqualTo(1);
            Files.writeString(dir.resolve("junk.pem"), "not a certificate");
            assertThat(gw.cli("roots", "add", dir.resolve("junk.pem").toString()))
                    .isEqualTo(1);
            gw.check(gw.cli("endpoint", "list", "--json"));
            assertThat(gw.out).contains("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System");
            gw.check(gw.cli("roots", "list"));
            assertThat(gw.out).contains("CN=Test Root");
        }
    }
}
