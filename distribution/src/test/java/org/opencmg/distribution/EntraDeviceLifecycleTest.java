package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.demo.DemoTenant;

/**
 * An Entra ID device end to end, through the demo topology and its simulated tenant (JWKS served
 * over HTTPS on loopback): the Entra token is traded at CCM_STS for an access token, and only the
 * access token reaches the management point.
 */
class EntraDeviceLifecycleTest {

    @TempDir
    static Path tmp;

    static TokenTopology topology;

    @BeforeAll
    static void start() throws Exception {
        topology = TokenTopology.start(tmp.resolve("demo"));
    }

    @AfterAll
    static void stop() {
        if (topology != null) {
            topology.close();
        }
    }

    @Test
    void anEntraDeviceTradesItsTokenForAnAccessTokenAndReachesItsEndpoint() throws Exception {
        var print = topology.cli(
                "demo",
                "entra-token",
                "--dir",
                topology.dir.toString(),
                "--device-id",
                "11111111-2222-4333-8444-555555555555");
        assertThat(print.code()).as(print.all()).isZero();
        String entraToken = print.lastLine();

        var sts = topology.send("POST", "CCM_STS/token", entraToken, "");
        assertThat(sts.statusCode()).as(sts.body()).isEqualTo(200);
        String access =
                new ObjectMapper().readTree(sts.body()).path("access_token").asText();
        var claims = SignedJWT.parse(access).getJWTClaimsSet();
        String deviceId = "entra:" + DemoTenant.TENANT_ID + ":11111111-2222-4333-8444-555555555555";
        assertThat(claims.getSubject()).isEqualTo(deviceId);
        assertThat(claims.getClaim("auth")).isEqualTo("entra");

        var reply = topology.send("CCM_POST", "ccm_system_tokenauth/request", access, "hello");
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        assertThat(reply.body()).contains("device=\"token:" + deviceId + "\"");
    }

    @Test
    void theEntraTokenItselfIsOnlyGoodAtTheTokenService() throws Exception {
        String entraToken = DemoTenant.deviceToken(topology.dir, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
        var reply = topology.send("CCM_POST", "ccm_system_tokenauth/request", entraToken, "hello");
        assertThat(reply.statusCode()).isEqualTo(401);
        assertThat(reply.body()).isEqualTo("401 token_required\n");
    }

    @Test
    void aadAuthInfoAnswersForTheOnboardedTenantOnly() throws Exception {
        var known =
                topology.send("GET", "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + DemoTenant.TENANT_ID, null, null);
        assertThat(known.statusCode()).isEqualTo(200);
        assertThat(known.body()).contains(DemoTenant.CLIENT_APP_ID).contains(DemoTenant.APP_ID_URI);
        var unknown = topology.send(
                "GET", "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=00000000-0000-4000-8000-000000000000", null, null);
        assertThat(unknown.statusCode()).isEqualTo(404);
    }
}
