package org.opencmg.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.opencmg.pki.PemFiles;
import org.opencmg.server.console.ConsoleSessions;
import org.opencmg.server.json.Json;
import org.opencmg.server.pipeline.Refusals;
import org.opencmg.server.pipeline.RequestRefused;
import org.opencmg.server.store.AdminCertificates;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.SettingsStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin REST API under {@code /api/}: JSON in and out, HTTP Basic with an admin account.
 * Every change is audited with the acting administrator and applied to the live snapshots at once.
 * Requests a browser sends for another site are refused (403 cross_site), Basic logins share the
 * console's throttle, and a write must carry its route's media type (415 otherwise): no HTML form
 * or "simple" cross-site request can produce one.
 */
public final class AdminApiServlet extends HttpServlet {

    private static final Logger LOG = LoggerFactory.getLogger(AdminApiServlet.class);
    private static final int MAX_BODY = 1024 * 1024;

    static final ObjectMapper JSON = Json.MAPPER;

    private final transient AdminServices services;
    private final transient ConsoleSessions sessions;
    private final transient AdminCertificates adminCertificates;
    private final transient Refusals refusals;
    private final transient ConfigAsCode configAsCode;

    public AdminApiServlet(AdminServices services, Refusals refusals) {
        this(services, null, null, refusals);
    }

    public AdminApiServlet(AdminServices services, ConsoleSessions sessions, AdminCertificates adminCertificates,
                           Refusals refusals) {
        this(services, sessions, adminCertificates, refusals, null);
    }

    /**
     * @param sessions          console sessions: the console's own fetch() calls the API with its
     *                          session cookie and the session's CSRF token in {@code X-CSRF-Token}
     * @param adminCertificates administrators' client certificates ({@code /api/admin-certs})
     * @param refusals          where refused requests are logged and counted
     * @param configAsCode      configuration export and apply ({@code /api/config})
     */
    public AdminApiServlet(AdminServices services, ConsoleSessions sessions, AdminCertificates adminCertificates,
                           Refusals refusals, ConfigAsCode configAsCode) {
        this.services = services;
        this.sessions = sessions;
        this.adminCertificates = adminCertificates;
        this.refusals = refusals;
        this.configAsCode = configAsCode;
    }

    /** An answer that is not JSON (the exported configuration). */
    private record Text(String contentType, String body) {
    }

    /** The administrator of a console session whose CSRF token came along in X-CSRF-Token. */
    private java.util.Optional<String> sessionUser(HttpServletRequest req) {
        if (sessions == null) {
            return java.util.Optional.empty();
        }
        return sessions.find(ConsoleSessions.cookieValue(req.getCookies()))
                .filter(s -> org.opencmg.server.console.CsrfTokens.matches(s.csrfToken(), req.getHeader("X-CSRF-Token")))
                .map(ConsoleSessions.Session::user);
    }

    /**
     * An API error with its status; the message is shown to the administrator. One with a reason
     * code is a refusal: logged and counted, the reason sent beside the message.
     */
    public static final class ApiError extends RuntimeException {
        public final int status;
        public final String reason;

        public ApiError(int status, String message) {
            this(status, null, message);
        }

        ApiError(int status, String reason, String message) {
            super(message, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Cache-Control", "no-store");
        var crossSite = CrossSiteCheck.violation(req);
        if (crossSite.isPresent()) {
            refuse(req, resp, new ApiError(403, "cross_site", "refused: a request sent by a page of another site"),
                    crossSite.get(), "");
            return;
        }
        String authorization = req.getHeader("Authorization");
        var login = authorization != null ? services.credentials().checkBasic(authorization, req.getRemoteAddr())
                : sessionUser(req).map(AdminCredentials.Login::accepted)
                        .orElse(AdminCredentials.Login.refused(401, "login_required", java.time.Duration.ZERO));
        if (!login.isAccepted()) {
            refuseLogin(req, resp, login);
            return;
        }
        String actor = login.user();
        if (("POST".equals(req.getMethod()) || "PUT".equals(req.getMethod()) || "PATCH".equals(req.getMethod()))
                && !BodyTypes.accepts(BodyTypes.ANY_ROUTE, req.getContentType())) {
            refuse(req, resp, unsupportedType(BodyTypes.JSON), "Content-Type: " + req.getContentType(), actor);
            return;
        }
        String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
        String[] parts = path.substring(1).split("/", 2);
        String resource = parts[0];
        String id = parts.length > 1 ? parts[1] : null;
        Object result;
        int status = "POST".equals(req.getMethod()) && !"config".equals(resource) ? 201 : 200; // an apply creates nothing
        try {
            result = route(req.getMethod(), resource, id, req, actor);
        } catch (ApiError e) {
            if (e.reason != null) {
                refuse(req, resp, e, "Content-Type: " + req.getContentType(), actor); // only 415s carry a reason here
                return;
            }
            status = e.status;
            result = Map.of("error", e.getMessage());
        } catch (IllegalArgumentException e) {
            status = 400;
            result = Map.of("error", e.getMessage());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            status = 400;
            result = Map.of("error", "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            status = 400;
            result = Map.of("error", "unreadable upload: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("admin API {} {} failed", req.getMethod(), path, e);
            status = 500;
            result = Map.of("error", "internal error; see the gateway log");
        }
        send(resp, status, result);
    }

    private Object route(String method, String resource, String id, HttpServletRequest req, String actor) throws IOException {
        return switch (resource + " " + method) {
            case "status GET" -> services.status().get();
            case "endpoints GET" -> services.endpoints().list().stream().map(AdminApiServlet::endpointJson).toList();
            case "endpoints POST" -> publish(req, actor);
            case "endpoints DELETE" -> req.getParameter("role_id") != null ? unpublishRole(req.getParameter("role_id"), actor)
                    : unpublish(req.getParameter("external_path"), actor);
            case "roles GET" -> services.roles().stream().map(r -> Map.of("kind", r.kind(), "request_headers",
                    new java.util.TreeSet<>(r.requestHeaders()))).toList();
            case "roots GET" -> services.trust().list();
            case "roots POST" -> addRoots(body(req, BodyTypes.PEM), actor);
            case "roots DELETE" -> removeRoot(required(id, "thumbprint"), actor);
            case "ctl GET" -> services.trust().ctl();
            case "ctl POST" -> addCtl(body(req, BodyTypes.PEM), actor);
            case "ctl DELETE" -> removeCtl(required(id, "thumbprint"), actor);
            case "crls GET" -> services.trust().crls();
            case "crls POST" -> addCrl(body(req, BodyTypes.PEM), actor);
            case "crls DELETE" -> removeCrl(required(id, "sha256"), actor);
            case "settings GET" -> id == null ? services.settings().list()
                    : services.settings().get(id).orElseThrow(() -> new ApiError(404, "unknown setting: " + id));
            case "settings PUT" -> setSetting(required(id, "setting name"), body(req), actor);
            case "audit GET" -> services.audit().recent(limit(req.getParameter("limit")));
            case "connection-points GET" -> services.connectionPoints().list();
            case "connection-points POST" -> registerConnectionPoint(req, actor);
            case "connection-points DELETE" -> unregisterConnectionPoint(required(id, "name"), actor);
            case "channels GET" -> services.channelStatus().list();
            case "secrets GET" -> services.secrets().list();
            case "explain POST" -> explain(req);
            case "analyze POST" -> analyze(req, actor);
            case "admin-certs GET" -> adminCertificates().list();
            case "admin-certs POST" -> addAdminCertificate(body(req), actor);
            case "admin-certs DELETE" -> removeAdminCertificate(required(id, "thumbprint"), actor);
            case "quotas GET" -> services.quotas().list().stream().map(this::quotaJson).toList();
            case "quotas POST" -> setQuota(JSON.readTree(body(req)), actor);
            case "quotas DELETE" -> removeQuota(required(req.getParameter("external_path"), "external_path parameter"), actor);
            case "config GET" -> new Text("application/yaml", configAsCode().export(actor));
            case "config POST" -> applyConfig(req, actor);
            case "traffic GET" -> services.traffic().since(services.clock().instant()
                    .minus(java.time.Duration.ofHours(limit(req.getParameter("hours")))));
            default -> pluginResource(method, resource, id, req, actor);
        };
    }

    /**
     * One mapping (external_path, internal_url, site, ...), or every mapping of a role instance
     * ({"role": "mp", "role_id": ..., "site": ..., "internal_url": base URL}) as its plugin defines them.
     * One mapping may name a loaded role plugin's kind ({"role_kind": "mp"}): its site then sees the
     * request headers that role declares, as the role's own mappings do.
     */
    private Object publish(HttpServletRequest req, String actor) throws IOException {
        var json = JSON.readTree(body(req));
        if (json.has("role")) {
            return publishRole(json, actor);
        }
        String roleKind = null;
        if (json instanceof com.fasterxml.jackson.databind.node.ObjectNode o && o.has("role_kind")) {
            var kind = o.remove("role_kind");
            if (!kind.isNull()) {
                roleKind = role(kind.asText()).kind();
            }
        }
        EndpointRequest request;
        try {
            request = JSON.treeToValue(json, EndpointRequest.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException("malformed endpoint JSON: " + e.getOriginalMessage());
        }
        var p = request.validate(actor, services.clock().instant());
        return endpointJson(publishOne(roleKind == null ? p : p.withRole(roleKind, null), actor));
    }

    private org.opencmg.api.Role role(String kind) {
        return services.roles().stream().filter(r -> r.kind().equalsIgnoreCase(kind)).findFirst()
                .orElseThrow(() -> new ApiError(404, "no role plugin of kind '" + kind + "' (loaded: "
                        + services.roles().stream().map(org.opencmg.api.Role::kind).toList() + ")"));
    }

    public PublishedEndpoint publishOne(PublishedEndpoint p, String actor) {
        services.endpoints().publish(p);
        services.audit().record(actor, "endpoint.publish", p.endpoint().externalPath(),
                "site=" + p.site() + " internal=" + p.endpoint().internalUrl() + " methods=" + p.endpoint().methods()
                        + " auth=" + p.endpoint().authMethods() + " max=" + p.endpoint().maxRequestBytes()
                        + (p.roleKind() == null ? "" : " role=" + p.roleKind() + (p.roleId() == null ? "" : ":" + p.roleId())));
        services.live().refresh();
        return p;
    }

    public Object publishRole(com.fasterxml.jackson.databind.JsonNode json, String actor) {
        String kind = json.path("role").asText();
        String roleId = json.path("role_id").asText("");
        String site = json.path("site").asText(null);
        String internal = json.path("internal_url").asText(null);
        if (!roleId.matches("[0-9A-Za-z_-]{1,64}")) {
            throw new IllegalArgumentException("role_id is required (1-64 of A-Z a-z 0-9 _ -)");
        }
        var role = role(kind);
        if (internal == null || internal.endsWith("/")) {
            throw new IllegalArgumentException("internal_url is required: the role server's base URL, without a trailing /");
        }
        var validated = new java.util.ArrayList<PublishedEndpoint>();
        for (var e : role.endpoints(roleId, internal)) {
            var request = new EndpointRequest(e.externalPath(), e.internalUrl(), site, e.name(), List.copyOf(e.methods()),
                    List.copyOf(e.authMethods()), e.maxRequestBytes());
            validated.add(request.validate(actor, services.clock().instant()).withRole(role.kind(), roleId));
        }
        return validated.stream().map(p -> endpointJson(publishOne(p, actor))).toList();
    }

    public Object unpublishRole(String roleId, String actor) {
        int n = services.endpoints().unpublishRole(roleId);
        if (n == 0) {
            throw new ApiError(404, "no endpoint published for role ID " + roleId);
        }
        services.audit().record(actor, "endpoint.unpublish_role", roleId, n + " endpoints");
        services.live().refresh();
        return Map.of("unpublished", n, "role_id", roleId);
    }

    /**
     * Body: JSON {url, method (default GET), certificate (PEM chain, optional), token (optional),
     * headers (optional: {"Name": "value" or ["value", ...]}, to learn which ones the site would not see)}.
     */
    private Object explain(HttpServletRequest req) throws IOException {
        var json = JSON.readTree(body(req));
        String url = json.path("url").asText("");
        if (url.isEmpty()) {
            throw new IllegalArgumentException("url is required");
        }
        String pem = json.path("certificate").asText("");
        List<X509Certificate> chain = pem.isEmpty() ? List.of() : PemFiles.readCertificates(pem.getBytes(StandardCharsets.UTF_8));
        String token = json.path("token").asText("");
        return services.explainer().explain(json.path("method").asText("GET").toUpperCase(java.util.Locale.ROOT), url, chain,
                token.isEmpty() ? null : token, explainHeaders(json.path("headers")));
    }

    /**
     * The connection analyzer at this instance. Body: JSON {certificate (PEM chain), token (a token
     * device's access token), entra_token (an Entra device's access token), roles (role IDs that must
     * be published)}, each optional; a kind of device without credentials is skipped.
     */
    private Object analyze(HttpServletRequest req, String actor) throws IOException {
        var json = JSON.readTree(body(req));
        String pem = json.path("certificate").asText("");
        List<X509Certificate> chain = pem.isEmpty() ? List.of() : PemFiles.readCertificates(pem.getBytes(StandardCharsets.UTF_8));
        var roles = new ArrayList<String>();
        for (var r : json.path("roles")) {
            if (!r.asText().matches("[0-9A-Za-z_-]{1,64}")) {
                throw new IllegalArgumentException("not a role ID: " + r.asText());
            }
            roles.add(r.asText());
        }
        var credentials = new org.opencmg.server.channel.ConnectionAnalyzer.Credentials(chain, json.path("token").asText(null),
                json.path("entra_token").asText(null));
        var report = services.analyzer().analyze(credentials, roles);
        // Which kinds ran, never the credentials themselves.
        services.audit().record(actor, "analyze", "instance", report.rows().stream()
                .filter(r -> !r.verdict().equals("skipped")).map(r -> r.kind()).distinct().toList()
                + " ok=" + report.allPassed());
        return org.opencmg.server.channel.ConnectionAnalyzer.json(report);
    }

    private static org.eclipse.jetty.http.HttpFields explainHeaders(com.fasterxml.jackson.databind.JsonNode headers) {
        var fields = org.eclipse.jetty.http.HttpFields.build();
        if (headers.isMissingNode() || headers.isNull()) {
            return fields;
        }
        if (!headers.isObject() || headers.size() > 100) {
            throw new IllegalArgumentException("headers must be an object of at most 100 names: {\"Name\": \"value\"}");
        }
        for (var e : headers.properties()) {
            if (!org.opencmg.channel.HeaderPolicy.isToken(e.getKey())) {
                throw new IllegalArgumentException("not a header name: " + e.getKey());
            }
            for (var v : e.getValue().isArray() ? e.getValue() : List.of(e.getValue())) {
                fields.add(e.getKey(), v.asText());
            }
        }
        return fields;
    }

    /** /api/&lt;name&gt; served by a plugin's {@link org.opencmg.api.AdminResource}. */
    private Object pluginResource(String method, String resource, String id, HttpServletRequest req, String actor)
            throws IOException {
        var plugin = services.pluginResources().stream().filter(r -> r.name().equals(resource)).findFirst()
                .orElseThrow(() -> new ApiError(404, "no such API: " + method + " /api/" + resource));
        var query = new java.util.LinkedHashMap<String, String>();
        req.getParameterMap().forEach((k, v) -> query.put(k, v.length > 0 ? v[0] : ""));
        String subPath = id == null ? "" : "/" + id;
        boolean streamed = plugin.streamsBody(method, subPath);
        if (streamed && !BodyTypes.accepts(BodyTypes.STREAM, req.getContentType())) {
            throw unsupportedType(BodyTypes.STREAM);
        }
        byte[] body = streamed || "GET".equals(method) || "DELETE".equals(method) ? new byte[0] : body(req, BodyTypes.PLUGIN);
        org.opencmg.api.AdminReply reply;
        try (InputStream stream = streamed ? req.getInputStream() : null) {
            reply = plugin.handle(new org.opencmg.api.AdminCall(method, subPath, query, body, actor, stream));
        } catch (RuntimeException | LinkageError e) {
            LOG.error("admin API /api/{} of a plugin failed", resource, e);
            throw new ApiError(500, "the plugin failed; see the gateway log");
        }
        if (reply == null) {
            throw new ApiError(500, "the plugin gave no answer");
        }
        if (reply.status() >= 400) {
            Object err = reply.json() instanceof Map<?, ?> m ? m.get("error") : null;
            throw new ApiError(reply.status(), err == null ? "refused" : err.toString());
        }
        return reply.json();
    }

    public Object unpublish(String externalPath, String actor) {
        if (externalPath == null) {
            throw new IllegalArgumentException("external_path is required");
        }
        if (!services.endpoints().unpublish(externalPath)) {
            throw new ApiError(404, "no endpoint with external path " + externalPath);
        }
        services.audit().record(actor, "endpoint.unpublish", externalPath, "");
        services.live().refresh();
        return Map.of("unpublished", externalPath);
    }

    public Object addRoots(byte[] body, String actor) throws IOException {
        List<X509Certificate> certs = PemFiles.readCertificates(body);
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("no certificate in the upload");
        }
        var added = new ArrayList<Object>();
        for (X509Certificate c : certs) {
            var row = services.trust().add(c, services.clock().instant());
            services.audit().record(actor, "trust.add", row.subject(), row.kind() + " sha256=" + row.thumbprintSha256());
            added.add(row);
        }
        services.live().refresh();
        return added;
    }

    public Object removeRoot(String thumbprint, String actor) {
        if (!services.trust().remove(thumbprint)) {
            throw new ApiError(404, "no trusted certificate with thumbprint " + thumbprint);
        }
        services.audit().record(actor, "trust.remove", thumbprint, "");
        services.live().refresh();
        return Map.of("removed", thumbprint);
    }

    public Object addCtl(byte[] body, String actor) throws IOException {
        var added = new ArrayList<Object>();
        for (X509Certificate c : PemFiles.readCertificates(body)) {
            var row = services.trust().addToCtl(c, services.clock().instant());
            services.audit().record(actor, "ctl.add", row.subject(), "sha256=" + row.thumbprintSha256());
            added.add(row);
        }
        if (added.isEmpty()) {
            throw new IllegalArgumentException("no certificate in the upload");
        }
        services.live().refresh();
        return added;
    }

    public Object removeCtl(String thumbprint, String actor) {
        if (!services.trust().removeFromCtl(thumbprint)) {
            throw new ApiError(404, "no CTL entry with thumbprint " + thumbprint);
        }
        services.audit().record(actor, "ctl.remove", thumbprint, "");
        services.live().refresh();
        return Map.of("removed", thumbprint);
    }

    public Object addCrl(byte[] body, String actor) throws IOException {
        X509CRL crl = PemFiles.readCrl(body);
        var row = services.trust().addCrl(crl, services.clock().instant());
        services.audit().record(actor, "crl.add", row.issuer(), "sha256=" + row.sha256() + " next_update=" + row.nextUpdate());
        services.live().refresh();
        return row;
    }

    public Object removeCrl(String sha256, String actor) {
        if (!services.trust().removeCrl(sha256)) {
            throw new ApiError(404, "no CRL with sha256 " + sha256);
        }
        services.audit().record(actor, "crl.remove", sha256, "");
        services.live().refresh();
        return Map.of("removed", sha256);
    }

    public Object setSetting(String name, byte[] body, String actor) throws IOException {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        String value = text.startsWith("{") ? JSON.readTree(text).path("value").asText() : text;
        String before = services.settings().get(name).map(SettingsStore.Value::value).orElse("?");
        // Setting values are never secrets (those live in the secret store), so they may be audited.
        String stored = services.settings().set(name, value, actor, services.clock().instant());
        services.audit().record(actor, "setting.set", name, before + " -> " + stored);
        services.live().refresh();
        return services.settings().get(name).orElseThrow();
    }

    /**
     * Body: JSON {external_path (a published endpoint), window ("1h"), requests, egress_bytes,
     * device_requests, device_egress_bytes (each a number, sizes also "10GiB"; absent or null: no
     * such budget), warn_percent (default 80)}. Sets or replaces the endpoint's budgets.
     */
    public Object setQuota(com.fasterxml.jackson.databind.JsonNode json, String actor) {
        var known = java.util.Set.of("external_path", "window", "requests", "egress_bytes", "device_requests", "device_egress_bytes",
                "warn_percent");
        json.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "' (known: " + new java.util.TreeSet<>(known) + ")");
            }
        });
        String path = json.path("external_path").asText("");
        var endpoint = services.endpoints().find(path).orElseThrow(() -> new ApiError(404, "no endpoint is published at '" + path
                + "' (cmg endpoint list)"));
        var window = org.opencmg.server.store.Quota.parseWindow(json.path("window").asText(""));
        var q = new org.opencmg.server.store.Quota(endpoint.endpoint().externalPath(), window, budget(json, "requests", false),
                budget(json, "egress_bytes", true), budget(json, "device_requests", false), budget(json, "device_egress_bytes", true),
                json.hasNonNull("warn_percent") ? json.path("warn_percent").asInt(-1) : org.opencmg.server.store.Quota.DEFAULT_WARN_PERCENT,
                services.clock().instant(), actor);
        services.quotas().put(q);
        services.audit().record(actor, "quota.set", q.externalPath(), quotaDetail(q));
        services.live().refresh();
        return quotaJson(q);
    }

    static Long budget(com.fasterxml.jackson.databind.JsonNode json, String field, boolean bytes) {
        var v = json.path(field);
        if (v.isMissingNode() || v.isNull() || v.isTextual() && v.asText().isBlank()) {
            return null;
        }
        if (v.canConvertToExactIntegral() && v.canConvertToLong()) {
            return v.asLong();
        }
        if (v.isTextual()) {
            try {
                return bytes ? org.opencmg.server.store.Quota.parseBytes(v.asText()) : Long.parseLong(v.asText().strip());
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException(field + ": not a count: '" + v.asText() + "'");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": " + e.getMessage());
            }
        }
        throw new IllegalArgumentException(field + " must be a whole number" + (bytes ? " of bytes (or a size like 10GiB)" : ""));
    }

    public Object removeQuota(String externalPath, String actor) {
        if (!services.quotas().remove(externalPath)) {
            throw new ApiError(404, "no budgets are set on " + externalPath);
        }
        services.audit().record(actor, "quota.remove", externalPath, "");
        services.live().refresh();
        return Map.of("removed", externalPath);
    }

    static String quotaDetail(org.opencmg.server.store.Quota q) {
        return "window=" + org.opencmg.server.store.Quota.formatWindow(q.window()) + " requests=" + q.requests() + " egress_bytes="
                + q.egressBytes() + " device_requests=" + q.deviceRequests() + " device_egress_bytes=" + q.deviceEgressBytes()
                + " warn_percent=" + q.warnPercent();
    }

    /** A quota with its use in the current window as this instance sees it (the other instances' included). */
    private Map<String, Object> quotaJson(org.opencmg.server.store.Quota q) {
        var m = new LinkedHashMap<String, Object>();
        m.put("external_path", q.externalPath());
        m.put("window", org.opencmg.server.store.Quota.formatWindow(q.window()));
        m.put("requests", q.requests());
        m.put("egress_bytes", q.egressBytes());
        m.put("device_requests", q.deviceRequests());
        m.put("device_egress_bytes", q.deviceEgressBytes());
        m.put("warn_percent", q.warnPercent());
        m.put("updated_at", q.updatedAt());
        m.put("updated_by", q.updatedBy());
        services.quotaUse().use(q.externalPath()).filter(u -> u.quota().window().equals(q.window())).ifPresent(u -> {
            var use = new LinkedHashMap<String, Object>();
            use.put("window_start", u.windowStart());
            use.put("window_end", u.windowEnd());
            use.put("requests", u.requests());
            use.put("egress_bytes", u.egressBytes());
            use.put("busiest_device_requests", u.busiestDeviceRequests());
            use.put("busiest_device_egress_bytes", u.busiestDeviceEgressBytes());
            m.put("use", use);
        });
        return m;
    }

    /** Body: JSON {name, site, certificate (PEM), connection_id (optional: one is made)}. */
    private Object registerConnectionPoint(HttpServletRequest req, String actor) throws IOException {
        var json = JSON.readTree(body(req));
        String name = json.path("name").asText("");
        String site = json.path("site").asText("");
        if (!name.matches("[A-Za-z0-9._-]{1,128}") || !site.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("name (1-128 of A-Z a-z 0-9 . _ -) and site (1-64 of A-Z a-z 0-9 _ -) are required");
        }
        List<X509Certificate> certs = PemFiles.readCertificates(json.path("certificate").asText("").getBytes(StandardCharsets.UTF_8));
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("certificate: the connection point's PEM certificate is required");
        }
        String connectionId = json.path("connection_id").asText("");
        if (connectionId.isEmpty()) {
            connectionId = java.util.UUID.randomUUID().toString();
        } else if (!connectionId.matches("[A-Za-z0-9._-]{8,128}")) {
            throw new IllegalArgumentException("connection_id must be 8-128 of A-Z a-z 0-9 . _ -");
        }
        var registration = new org.opencmg.server.store.ConnectionPointStore.Registration(name, site,
                org.opencmg.pki.Thumbprints.sha256(certs.getFirst()), connectionId, services.clock().instant(), actor);
        services.connectionPoints().register(registration);
        services.audit().record(actor, "connection_point.register", name,
                "site=" + site + " sha256=" + registration.thumbprintSha256());
        return registration;
    }

    private ConfigAsCode configAsCode() {
        if (configAsCode == null) {
            throw new ApiError(404, "configuration export and apply are not available here");
        }
        return configAsCode;
    }

    /** Body: the YAML of {@code cmg config export}; {@code ?dry_run=true} plans only, {@code ?prune=true} also removes. */
    private Object applyConfig(HttpServletRequest req, String actor) throws IOException {
        var service = configAsCode();
        String yaml = new String(body(req, BodyTypes.YAML, ConfigDocument.MAX_BYTES), StandardCharsets.UTF_8);
        var result = service.apply(yaml, flag(req, "dry_run"), flag(req, "prune"), actor);
        var m = new LinkedHashMap<String, Object>();
        m.put("dry_run", result.dryRun());
        m.put("prune", result.prune());
        m.put("applied", result.applied());
        m.put("summary", result.plan().summary());
        m.put("changes", result.plan().changes().stream().map(AdminApiServlet::changeJson).toList());
        m.put("unchanged", result.plan().unchanged());
        m.put("kept", result.plan().kept().stream().map(AdminApiServlet::changeJson).toList());
        m.put("untouched_sections", result.plan().untouched());
        m.put("connection_ids", result.connectionIds()); // made for added registrations, shown on this answer only
        return m;
    }

    /** A true/false query parameter, absent: false. Anything else is refused: a mistyped dry_run must not apply. */
    private static boolean flag(HttpServletRequest req, String name) {
        String v = req.getParameter(name);
        if (v == null || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw new IllegalArgumentException(name + " takes true or false, not '" + v + "'");
    }

    private static Map<String, Object> changeJson(ConfigAsCode.Change c) {
        var m = new LinkedHashMap<String, Object>();
        m.put("section", c.section());
        m.put("action", c.action().name().toLowerCase(java.util.Locale.ROOT));
        m.put("item", c.item());
        m.put("detail", c.detail());
        return m;
    }

    private AdminCertificates adminCertificates() {
        if (adminCertificates == null) {
            throw new ApiError(404, "admin certificates are not available here");
        }
        return adminCertificates;
    }

    /** Body: JSON {user, certificate (PEM)}: that certificate logs its holder in to the console as that administrator. */
    public Object addAdminCertificate(byte[] body, String actor) throws IOException {
        var json = JSON.readTree(body);
        String user = json.path("user").asText("");
        if (!services.credentials().exists(user)) {
            throw new IllegalArgumentException("user: no administrator named '" + user + "'");
        }
        List<X509Certificate> certs = PemFiles.readCertificates(json.path("certificate").asText("").getBytes(StandardCharsets.UTF_8));
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("certificate: the administrator's PEM certificate is required");
        }
        X509Certificate c = certs.getFirst();
        var row = new AdminCertificates.AdminCertificate(org.opencmg.pki.Thumbprints.sha256(c), user,
                c.getSubjectX500Principal().getName(), c.getNotAfter().toInstant(), services.clock().instant(), actor);
        adminCertificates().add(row);
        services.audit().record(actor, "admin_cert.add", row.subject(), "user=" + user + " sha256=" + row.thumbprintSha256());
        return row;
    }

    public Object removeAdminCertificate(String typed, String actor) {
        String thumbprint = AdminCertificates.canonical(typed);
        if (!adminCertificates().remove(thumbprint)) {
            throw new ApiError(404, "no admin certificate with thumbprint " + thumbprint);
        }
        services.audit().record(actor, "admin_cert.remove", thumbprint, "");
        return Map.of("removed", thumbprint);
    }

    private Object unregisterConnectionPoint(String name, String actor) {
        if (!services.connectionPoints().remove(name)) {
            throw new ApiError(404, "no connection point named " + name);
        }
        services.audit().record(actor, "connection_point.unregister", name, "");
        return Map.of("unregistered", name);
    }

    static Map<String, Object> endpointJson(PublishedEndpoint p) {
        var m = new LinkedHashMap<String, Object>();
        m.put("external_path", p.endpoint().externalPath());
        m.put("internal_url", p.endpoint().internalUrl());
        m.put("site", p.site());
        m.put("name", p.endpoint().name());
        m.put("methods", p.endpoint().methods());
        m.put("auth", p.endpoint().authMethods());
        m.put("max_request_bytes", p.endpoint().maxRequestBytes());
        m.put("role_kind", p.roleKind());
        m.put("role_id", p.roleId());
        m.put("published_at", p.publishedAt());
        m.put("published_by", p.publishedBy());
        return m;
    }

    private static String required(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is required in the path");
        }
        return value;
    }

    private static int limit(String value) {
        try {
            return value == null ? 100 : Math.max(1, Math.min(10_000, Integer.parseInt(value.strip())));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("limit must be a number");
        }
    }

    /** A JSON body. */
    private static byte[] body(HttpServletRequest req) throws IOException {
        return body(req, BodyTypes.JSON);
    }

    /** The body, if its Content-Type is one of {@code accepted}. */
    private static byte[] body(HttpServletRequest req, java.util.Set<String> accepted) throws IOException {
        return body(req, accepted, MAX_BODY);
    }

    private static byte[] body(HttpServletRequest req, java.util.Set<String> accepted, int max) throws IOException {
        if (!BodyTypes.accepts(accepted, req.getContentType())) {
            throw unsupportedType(accepted);
        }
        try (InputStream in = req.getInputStream()) {
            byte[] data = in.readNBytes(max + 1);
            if (data.length > max) {
                throw new ApiError(413, "upload larger than " + max + " bytes");
            }
            return data;
        }
    }

    private static ApiError unsupportedType(java.util.Set<String> accepted) {
        return new ApiError(415, "unsupported_content_type", "Content-Type must be " + String.join(" or ",
                new java.util.TreeSet<>(accepted)));
    }

    private void refuseLogin(HttpServletRequest req, HttpServletResponse resp, AdminCredentials.Login login) throws IOException {
        String message = switch (login.status()) {
            case 429 -> "too many failed logins: retry in " + login.retryAfterSeconds() + " s";
            case 400 -> "user names are at most " + org.opencmg.server.console.LoginThrottle.MAX_USER_NAME + " characters";
            default -> authorizationWasSent(req) ? "wrong user name or password" : "admin credentials required";
        };
        login.setHeaders(req, resp);
        refuse(req, resp, new ApiError(login.status(), login.reason(), message), "", "");
    }

    private static boolean authorizationWasSent(HttpServletRequest req) {
        return req.getHeader("Authorization") != null;
    }

    /** Logs and counts a refusal and answers it: {"error": message, "reason": code}. */
    private void refuse(HttpServletRequest req, HttpServletResponse resp, ApiError e, String detail, String actor)
            throws IOException {
        refusals.record(new RequestRefused(e.status, e.reason, detail), req.getMethod(), req.getRequestURI(),
                req.getRemoteAddr(), actor);
        if (req.getContentLengthLong() != 0) {
            resp.setHeader("Connection", "close"); // the body stays unread: say so, or a client may reuse the connection
        }
        var body = new LinkedHashMap<String, Object>();
        body.put("error", e.getMessage());
        body.put("reason", e.reason);
        send(resp, e.status, body);
    }

    private static void send(HttpServletResponse resp, int status, Object body) throws IOException {
        // serialise first: a failure must not leave half a body
        byte[] json = body instanceof Text t ? t.body().getBytes(StandardCharsets.UTF_8) : Json.PRETTY.writeValueAsBytes(body);
        resp.setStatus(status);
        resp.setContentType(body instanceof Text t ? t.contentType() : "application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setContentLength(json.length);
        resp.getOutputStream().write(json);
    }
}
