package org.opencmg.plugins.entra;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;

class AadAuthInfoServiceTest {

    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    final TestContext ctx = new TestContext().set(EntraSettings.TENANTS, """
            [{"tenant_id": "%s", "client_app_id": "9f8e7d6c-5b4a-4321-8765-0123456789ab",
              "app_id_uri": "api://72f988bf-86f1-41af-91ab-2d7cd011db47/ConfigMgrService",
              "jwks_url": "https://login.microsoftonline.com/%s/discovery/keys"}]""".formatted(TENANT, TENANT));
    final AadAuthInfoService service = new AadAuthInfoService(ctx);

    static ServiceRequest get(Map<String, String> params) {
        return request("GET", params);
    }

    static ServiceRequest request(String method, Map<String, String> params) {
        var query = new StringBuilder();
        params.forEach((k, v) ->
                query.append(query.isEmpty() ? "" : "&").append(k).append('=').append(v));
        return new ServiceRequest(
                method,
                AadAuthInfoService.PATH,
                query.toString(),
                params,
                Map.of(),
                new byte[0],
                List.of(),
                new InetSocketAddress("127.0.0.1", 50000));
    }

    @Test
    void answersAnonymousRequestsOnItsPath() {
        assertThat(service.paths()).containsExactly("/CCM_Proxy_ServerAuth/AADAuthInfo");
        assertThat(service.allowsAnonymous()).isTrue();
    }

    @Test
    void anOnboardedTenantGetsItsClientAppAndResource() throws Exception {
        ServiceResponse r = service.handle(get(Map.of("TenantID", TENANT)));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.reason()).isNull();
        assertThat(r.contentType()).isEqualTo("application/json");
        Map<String, Object> json = JSONObjectUtils.parse(new String(r.body(), StandardCharsets.UTF_8));
        assertThat(json)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "client_app_id", "9f8e7d6c-5b4a-4321-8765-0123456789ab",
                        "resource", "api://72f988bf-86f1-41af-91ab-2d7cd011db47/ConfigMgrService",
                        "tenant_id", TENANT));
    }

    @Test
    void theTenantIdAndItsParameterNameAreCaseInsensitive() {
        assertThat(service.handle(get(Map.of("tenantid", TENANT.toUpperCase()))).status())
                .isEqualTo(200);
    }

    @Test
    void aTenantNotOnboardedIs404() {
        ServiceResponse r = service.handle(get(Map.of("TenantID", "deadbeef-0000-4000-8000-000000000000")));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.reason()).isEqualTo("tenant_unknown");
        assertThat(service.handle(get(Map.of("TenantID", "../../etc"))).status())
                .isEqualTo(404);
    }

    @Test
    void noTenantIdIs400() {
        ServiceResponse r = service.handle(get(Map.of()));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.reason()).isEqualTo("missing_tenant_id");
        assertThat(service.handle(get(Map.of("TenantID", ""))).status()).isEqualTo(400);
    }

    @Test
    void onlyGetIsAnswered() {
        for (String m : List.of("POST", "PUT", "DELETE", "HEAD", "CCM_POST")) {
            ServiceResponse r = service.handle(request(m, Map.of("TenantID", TENANT)));
            assertThat(r.status()).as(m).isEqualTo(405);
            assertThat(r.reason()).isEqualTo("method_not_allowed");
        }
    }

    @Test
    void badSettingsAre503() {
        ctx.set(EntraSettings.TENANTS, "[{\"tenant_id\": \"" + TENANT + "\"}]");
        ServiceResponse r = service.handle(get(Map.of("TenantID", TENANT)));
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.reason()).isEqualTo("entra_misconfigured");
    }
}
