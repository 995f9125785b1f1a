package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Device;
import org.opencmg.server.pipeline.Forwarder;
import org.opencmg.server.pipeline.Route;

/**
 * Entra ID devices through a real gateway with the auth-entra plugin loaded from its JAR: the
 * AADAuthInfo tenant lookup over real TLS, and Entra ID tokens (signed by a key this test generates,
 * published in a JWKS this test serves over HTTPS with a certificate of the test PKI, trusted through
 * {@code plugins.auth-entra.jwks-ca-file}) authenticating devices on an endpoint that accepts "entra".
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EntraAuthInfoTest {

    static final String TENANT = EntraTenant.TENANT;
    static final String STRANGER = "deadbeef-0000-4000-8000-000000000000";
    static final String CLIENT_APP = EntraTenant.CLIENT_APP;
    static final String RESOURCE = EntraTenant.RESOURCE;
    static final String ENTRA_PATH = "/CCM_Proxy_ServerAuth/72057594037927939/ccm_system_tokenauth/request";
    static final String PKI_PATH = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request";

    TestPki pki;
    GatewayFixture gw;
    final DeviceRecorder forwarder = new DeviceRecorder();
    EntraTenant tenant;
    RSAKey key;
    HttpClient http;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        tenant = new EntraTenant(pki);
        key = tenant.key;
        gw = new GatewayFixture(dir, pki, forwarder);
        tenant.onboard(
                gw,
                "/CCM_Proxy_ServerAuth/72057594037927939/ccm_system_tokenauth",
                "https://mp.corp.example/ccm_system_tokenauth",
                "ABC");
        gw.publish("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System", "https://mp.corp.example/CCM_System", "ABC");
        http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(pki.clientContext(null))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterAll
    void stop() {
        if (gw != null) {
            gw.close();
        }
        if (tenant != null) {
            tenant.close();
        }
    }

    JWTClaimsSet.Builder claims(String tid) {
        return tenant.claims(tid);
    }

    static String sign(RSAKey signer, JWTClaimsSet claims) throws Exception {
        return EntraTenant.sign(signer, claims);
    }

    HttpResponse<String> get(String pathAndQuery, String bearer) throws Exception {
        var b = HttpRequest.newBuilder(gw.clientUrl(pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .GET();
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aadAuthInfoAnswersAnOnboardedTenant() throws Exception {
        var r = get("/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + TENANT, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(JSONObjectUtils.parse(r.body()))
                .containsEntry("client_app_id", CLIENT_APP)
                .containsEntry("resource", RESOURCE)
                .containsEntry("tenant_id", TENANT);
    }

    @Test
    void aadAuthInfoRefusesOtherTenantsAndBadRequests() throws Exception {
        var r = get("/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + STRANGER, null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("404 tenant_unknown\n");
        r = get("/CCM_Proxy_ServerAuth/AADAuthInfo", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("400 missing_tenant_id\n");
        var post = HttpRequest.newBuilder(gw.clientUrl("/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + TENANT))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build();
        assertThat(http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(405);
    }

    @Test
    void anEntraTokenAuthenticatesADeviceOnAnEndpointThatAcceptsEntra() throws Exception {
        var r = get(ENTRA_PATH, sign(key, claims(TENANT).build()));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("forwarded https://mp.corp.example/ccm_system_tokenauth/request");
        assertThat(forwarder.devices).anySatisfy(d -> {
            assertThat(d.method()).isEqualTo("entra");
            assertThat(d.id()).isEqualTo("entra:" + TENANT + ":aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
            assertThat(d.name()).isEqualTo("desktop-42@contoso.example");
            assertThat(d.attributes())
                    .containsEntry("tid", TENANT)
                    .containsEntry("oid", "11111111-2222-3333-4444-555555555555");
        });
        // A v2 token of the same tenant too; the keys were fetched once.
        var v2 = claims(TENANT)
                .issuer("https://login.microsoftonline.com/" + TENANT + "/v2.0")
                .build();
        assertThat(get(ENTRA_PATH, sign(key, v2)).statusCode()).isEqualTo(200);
        assertThat(tenant.jwksFetches.get()).isEqualTo(1);
    }

    @Test
    void badEntraTokensAreRefusedWithTheirReason() throws Exception {
        assertRefused(
                get(
                        ENTRA_PATH,
                        sign(
                                key,
                                claims(TENANT)
                                        .audience("https://graph.microsoft.com")
                                        .build())),
                401,
                "wrong_audience");
        assertRefused(
                get(
                        ENTRA_PATH,
                        sign(
                                key,
                                claims(TENANT)
                                        .expirationTime(Date.from(Instant.now().minus(Duration.ofHours(1))))
                                        .build())),
                401,
                "token_expired");
        assertRefused(
                get(
                        ENTRA_PATH,
                        sign(
                                key,
                                claims(TENANT)
                                        .notBeforeTime(Date.from(Instant.now().plus(Duration.ofHours(1))))
                                        .build())),
                401,
                "token_not_yet_valid");
        assertRefused(get(ENTRA_PATH, sign(key, claims(STRANGER).build())), 401, "tenant_not_onboarded");
        RSAKey forger = new RSAKeyGenerator(2048).keyID("entra-key-1").generate();
        assertRefused(get(ENTRA_PATH, sign(forger, claims(TENANT).build())), 401, "invalid_token");
        // The AADAuthInfo lookup is anonymous, but a bad token on it is still refused.
        assertRefused(
                get(
                        "/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=" + TENANT,
                        sign(forger, claims(TENANT).build())),
                401,
                "invalid_token");
    }

    @Test
    void anEntraDeviceIsNotACertificateDevice() throws Exception {
        assertRefused(get(PKI_PATH, sign(key, claims(TENANT).build())), 403, "client_certificate_required");
        assertRefused(get(ENTRA_PATH, null), 401, "no_credentials");
    }

    @Test
    void theGatewayListsTheEntraMethod() {
        gw.check(gw.cli("status"));
        assertThat(gw.out).contains("entra");
    }

    static void assertRefused(HttpResponse<String> r, int status, String reason) {
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.body()).isEqualTo(status + " " + reason + "\n");
    }

    /** Stands in for the channels and records which device each forwarded request went on as. */
    static final class DeviceRecorder implements Forwarder {
        final List<Device> devices = new CopyOnWriteArrayList<>();

        @Override
        public void forward(Route route, Request request, InputStream body, Response response) throws IOException {
            body.transferTo(java.io.OutputStream.nullOutputStream());
            devices.add(route.device());
            response.setStatus(200);
            Content.Sink.write(
                    response,
                    true,
                    java.nio.ByteBuffer.wrap(
                            ("forwarded " + route.internalTarget() + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }
}
