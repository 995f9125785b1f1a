package org.opencmg.plugins.entra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.SettingDefinition;

class EntraConfigTest {

    static final String T = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String GOOD = """
            {"tenant_id": "%s", "client_app_id": "c", "app_id_uri": "https://ConfigMgrService",
             "jwks_url": "https://login.microsoftonline.com/%s/discovery/keys"}""".formatted(T, T);

    @Test
    void declaresItsThreeSettings() {
        assertThat(new EntraSettings().settings())
                .extracting(SettingDefinition::name, SettingDefinition::bool, SettingDefinition::defaultValue)
                .containsExactly(
                        tuple("tenants", false, "[]"),
                        tuple("jwks-ca-file", false, ""),
                        tuple("clock-skew-seconds", false, "120"));
    }

    @Test
    void parsesTenants() {
        EntraConfig c = EntraConfig.parse("[" + GOOD + "]", "", "120");
        assertThat(c.tenants()).containsOnlyKeys(T);
        assertThat(c.tenants().get(T).appIdUri()).isEqualTo("https://ConfigMgrService");
        assertThat(c.tenants().get(T).jwksUrl().toString())
                .isEqualTo("https://login.microsoftonline.com/" + T + "/discovery/keys");
        assertThat(c.clockSkew()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.caFile()).isEmpty();
        assertThat(c.jwksTls()).isNull();
        assertThat(EntraConfig.parse("[]", null, null).tenants()).isEmpty();
        assertThat(EntraConfig.parse(" ", null, " ").clockSkew()).isEqualTo(Duration.ofSeconds(120));
        String upper = "[" + GOOD.replace(T + "\",", T.toUpperCase() + "\",") + "]";
        assertThat(EntraConfig.parse(upper, null, null).tenants()).containsOnlyKeys(T);
    }

    @Test
    void refusesBadTenants() {
        assertBad("{", "not a JSON array");
        assertBad("{}", "not a JSON array");
        assertBad("[1]", "tenants[0] is not a JSON object");
        assertBad("[" + GOOD.replace("\"client_app_id\": \"c\",", "") + "]", "lacks \"client_app_id\"");
        assertBad("[" + GOOD.replace("\"c\"", "\"\"") + "]", "client_app_id must be a non-empty string");
        assertBad("[" + GOOD.replace("\"c\"", "42") + "]", "client_app_id must be a non-empty string");
        assertBad("[" + GOOD.replace(T + "\",", "contoso.onmicrosoft.com\",") + "]", "tenant_id must be a GUID");
        assertBad("[" + GOOD.replace("https://login", "http://login") + "]", "jwks_url must be an https URL");
        assertBad(
                "[" + GOOD.replace("https://login.microsoftonline.com/" + T + "/discovery/keys", "not a url") + "]",
                "jwks_url");
        assertBad("[" + GOOD.replace("\"client_app_id\"", "\"client_appid\"") + "]", "unknown field 'client_appid'");
        assertBad("[" + GOOD + "," + GOOD + "]", "listed twice");
    }

    @Test
    void refusesABadSkew() {
        for (String s : new String[] {"-1", "601", "1.5", "2m"}) {
            assertThatThrownBy(() -> EntraConfig.parse("[]", null, s))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("clock-skew-seconds");
        }
        assertThat(EntraConfig.parse("[]", null, "0").clockSkew()).isZero();
        assertThat(EntraConfig.parse("[]", null, "600").clockSkew()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void theCaFileMustHoldCertificates(@TempDir Path dir) throws Exception {
        assertThatThrownBy(
                        () -> EntraConfig.parse("[]", dir.resolve("missing.pem").toString(), null))
                .hasMessageContaining("cannot be read");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        assertThatThrownBy(() -> EntraConfig.parse("[]", empty.toString(), null))
                .hasMessageContaining("no PEM certificate");
        Path garbage = Files.writeString(
                dir.resolve("bad.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> EntraConfig.parse("[]", garbage.toString(), null))
                .hasMessageContaining("bad certificate");
        var ca = org.opencmg.pki.CertificateBuilder.rootCa("Extra").build();
        Path good = dir.resolve("ca.pem");
        org.opencmg.pki.PemFiles.writeCertificates(good, java.util.List.of(ca.certificate()));
        EntraConfig c = EntraConfig.parse("[]", good.toString(), null);
        assertThat(c.caFile()).contains(good);
        assertThat(c.jwksTls()).isNotNull();
    }

    static void assertBad(String tenants, String message) {
        assertThatThrownBy(() -> EntraConfig.parse(tenants, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
