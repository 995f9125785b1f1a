package org.opencmg.plugins.entra;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.opencmg.api.GatewayService;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.pf4j.Extension;

/**
 * {@code GET /CCM_Proxy_ServerAuth/AADAuthInfo?TenantID=<tid>}: what ccmsetup needs to ask Entra
 * ID for a token, for an onboarded tenant: {@code {"client_app_id", "resource", "tenant_id"}}.
 * Anonymous (the device has no token yet); it reveals nothing about tenants that are not onboarded
 * (404, like a tenant that does not exist).
 */
@Extension
public final class AadAuthInfoService implements GatewayService {

    static final String PATH = "/CCM_Proxy_ServerAuth/AADAuthInfo";

    private final ConfigReader reader;

    public AadAuthInfoService(PluginContext context) {
        this.reader = new ConfigReader(context, "auth-entra AADAuthInfo");
    }

    @Override
    public List<String> paths() {
        return List.of(PATH);
    }

    @Override
    public boolean allowsAnonymous() {
        return true;
    }

    @Override
    public ServiceResponse handle(ServiceRequest request) {
        if (!request.method().equals("GET")) {
            return ServiceResponse.refuse(Refusal.METHOD_NOT_ALLOWED, request.method() + " on AADAuthInfo (GET only)");
        }
        String tid = null;
        for (Map.Entry<String, String> p : request.params().entrySet()) {
            if (p.getKey().equalsIgnoreCase("TenantID")) {
                tid = p.getValue();
                break;
            }
        }
        if (tid == null || tid.isBlank()) {
            return ServiceResponse.refuse(Refusal.MISSING_TENANT_ID, "AADAuthInfo without TenantID");
        }
        ConfigReader.Snapshot snapshot = reader.current();
        if (snapshot.error() != null) {
            return ServiceResponse.refuse(
                    Refusal.ENTRA_MISCONFIGURED,
                    "settings are invalid: " + EntraConfig.printable(snapshot.error(), 300));
        }
        EntraConfig.Tenant tenant = snapshot.config().tenants().get(tid.strip().toLowerCase(Locale.ROOT));
        if (tenant == null) {
            return ServiceResponse.refuse(
                    Refusal.TENANT_UNKNOWN,
                    "AADAuthInfo for tenant " + EntraConfig.printable(tid, 64) + ", which is not onboarded");
        }
        var body = new LinkedHashMap<String, Object>();
        body.put("client_app_id", tenant.clientAppId());
        body.put("resource", tenant.appIdUri());
        body.put("tenant_id", tenant.tenantId());
        return ServiceResponse.json(200, JSONObjectUtils.toJSONString(body));
    }
}
