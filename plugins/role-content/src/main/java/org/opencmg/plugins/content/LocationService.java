package org.opencmg.plugins.content;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.opencmg.api.ContentStore;
import org.opencmg.api.GatewayService;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.pf4j.Extension;

/**
 * The content location: {@code GET /downloadrestservice.svc/getcontentxmlsecure?pid=<package>[&version=N]}
 * with a content access token ({@code Authorization: Bearer}) for that package. Answers XML with,
 * for each file of the package's latest (or the named) version, its size, SHA-256 and a signed
 * URL of the gateway's content endpoint, valid for url-lifetime-minutes (8 hours by default).
 * The other query values of the original form (cid, tid, iss, alg, st, et) are accepted and ignored.
 */
@Extension
public final class LocationService implements GatewayService {

    private final Content content;

    public LocationService(PluginContext context) {
        this.content = Content.of(context);
    }

    @Override
    public List<String> paths() {
        return List.of("/downloadrestservice.svc/getcontentxmlsecure");
    }

    @Override
    public boolean allowsAnonymous() {
        return true; // the content access token is the credential; checked here
    }

    @Override
    public ServiceResponse handle(ServiceRequest request) {
        if (!"GET".equals(request.method())) {
            return ServiceResponse.refuse(Refusal.METHOD_NOT_ALLOWED, request.method() + " on getcontentxmlsecure");
        }
        String auth = request.header("Authorization").orElse("");
        if (!auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.substring(7).isBlank()) {
            return ServiceResponse.refuse(
                    Refusal.CONTENT_TOKEN_MISSING, "no Authorization: Bearer content access token");
        }
        Instant now = content.context.clock().instant();
        var check = content.tokens.check(auth.substring(7).strip(), now);
        if (!check.ok()) {
            return ServiceResponse.refuse(check.reason(), check.detail());
        }
        String pid = request.params().get("pid");
        if (pid == null || !Content.PACKAGE.matcher(pid).matches()) {
            return ServiceResponse.refuse(Refusal.BAD_PACKAGE_ID, "pid missing or malformed");
        }
        if (!pid.equals(check.packageId())) {
            return ServiceResponse.refuse(
                    Refusal.CONTENT_TOKEN_WRONG_PACKAGE, "token for " + check.packageId() + ", asked " + pid);
        }
        int version;
        try {
            version = request.params().containsKey("version")
                    ? Integer.parseInt(request.params().get("version"))
                    : content.published().latestVersion(pid);
        } catch (NumberFormatException e) {
            return ServiceResponse.refuse(Refusal.BAD_VERSION, "version is not a number");
        }
        var files = version > 0 ? content.published().files(pid, version) : List.<Catalog.FileEntry>of();
        if (files.isEmpty()) {
            return ServiceResponse.refuse(Refusal.PACKAGE_NOT_FOUND, pid + (version > 0 ? " version " + version : ""));
        }
        Instant expires = now.plus(content.urlLifetime());
        String base = request.header("Host").map(h -> "https://" + h).orElse("");
        ContentStore store;
        try {
            content.rotateIfDue(now);
            store = content.store();
        } catch (Content.StoreUnavailable e) {
            return ServiceResponse.refuse(Refusal.CONTENT_STORE_UNAVAILABLE, e.getMessage());
        }
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        xml.append("<ContentLocation PackageId=\"")
                .append(pid)
                .append("\" Version=\"")
                .append(version)
                .append("\" Store=\"")
                .append(store.kind())
                .append("\" Expires=\"")
                .append(expires)
                .append("\">\n");
        for (var f : files) {
            String url = content.downloadUrl(store, f, base, expires);
            xml.append("  <File Name=\"")
                    .append(f.name())
                    .append("\" Size=\"")
                    .append(f.size())
                    .append("\" Sha256=\"")
                    .append(f.sha256())
                    .append("\" Url=\"")
                    .append(url.replace("&", "&amp;"))
                    .append("\"/>\n");
        }
        xml.append("</ContentLocation>\n");
        return new ServiceResponse(
                200, "application/xml; charset=utf-8", xml.toString().getBytes(StandardCharsets.UTF_8), Map.of(), null);
    }
}
