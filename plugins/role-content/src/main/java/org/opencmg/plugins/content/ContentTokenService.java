package org.opencmg.plugins.content;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.opencmg.api.Device;
import org.opencmg.api.GatewayService;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /downloadrestservice.svc/contentaccesstoken?pid=<package>}: a content access token
 * (24 hours by default) for an authenticated device. In the original the management point hands
 * this token out with the content locations; here the gateway plays that part for any device that
 * proved who it is with a client certificate, a site access token or an Entra ID token (not a bulk
 * registration token or a device token: those only register and exchange). Answers JSON
 * {@code {"package_id", "token", "expires_at"}}.
 */
@Extension
public final class ContentTokenService implements GatewayService {

    private static final Logger LOG = LoggerFactory.getLogger(ContentTokenService.class);
    /** Device kinds that may fetch content: the ones that reach site roles. */
    static final Set<String> METHODS = Set.of("pki", "token", "entra");

    private final Content content;

    public ContentTokenService(PluginContext context) {
        this.content = Content.of(context);
    }

    @Override
    public List<String> paths() {
        return List.of("/downloadrestservice.svc/contentaccesstoken");
    }

    @Override
    public ServiceResponse handle(ServiceRequest request) {
        if (!"GET".equals(request.method())) {
            return ServiceResponse.refuse(Refusal.METHOD_NOT_ALLOWED, request.method() + " on contentaccesstoken");
        }
        Device device = request.devices().stream()
                .filter(d -> METHODS.contains(d.method()))
                .findFirst()
                .orElse(null);
        if (device == null) {
            return ServiceResponse.refuse(
                    Refusal.DEVICE_CREDENTIAL_REQUIRED,
                    "content tokens go to devices with a client "
                            + "certificate, an access token or an Entra ID token; presented: "
                            + request.devices().stream().map(Device::method).toList());
        }
        String pid = request.params().get("pid");
        if (pid == null || !Content.PACKAGE.matcher(pid).matches()) {
            return ServiceResponse.refuse(Refusal.BAD_PACKAGE_ID, "pid missing or malformed");
        }
        if (content.published().latestVersion(pid) == 0) {
            return ServiceResponse.refuse(Refusal.PACKAGE_NOT_FOUND, pid);
        }
        Instant now = content.context.clock().instant();
        var lifetime = content.tokenLifetime();
        String token = content.tokens.issue(pid, now, lifetime);
        LOG.info("content access token for {} issued to {} device {}", pid, device.method(), device.name());
        String json = "{\"package_id\":\"" + pid + "\",\"expires_at\":\"" + now.plus(lifetime) + "\",\"token\":\""
                + token + "\"}\n";
        return new ServiceResponse(200, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of(), null);
    }
}
