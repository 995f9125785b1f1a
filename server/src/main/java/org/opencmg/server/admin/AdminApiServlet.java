package org.opencmg.server.admin;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jetty.http.HttpFields;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminReply;
import org.opencmg.api.Refusal;
import org.opencmg.channel.HeaderPolicy;
import org.opencmg.server.channel.ConnectionAnalyzer;
import org.opencmg.server.json.Json;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.Quota;
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
    private final transient AdminOperations operations;
    private final transient AdminConsole console;
    private final transient Refusals refusals;
    private final transient ConfigAsCode configAsCode;

    /**
     * @param operations        what the API's writes do (the console does the same through them)
     * @param console           the admin console (or null): its own fetch() calls the API with its
     *                          session cookie and the session's CSRF token in {@code X-CSRF-Token}
     * @param refusals          where refused requests are logged and counted
     * @param configAsCode      configuration export and apply ({@code /api/config})
     */
    public AdminApiServlet(
            AdminOperations operations, AdminConsole console, Refusals refusals, ConfigAsCode configAsCode) {
        this.services = operations.services();
        this.operations = operations;
        this.console = console;
        this.refusals = refusals;
        this.configAsCode = configAsCode;
    }

    /** An answer that is not JSON (the exported configuration). */
    private record Text(String contentType, String body) {}

    /** The administrator of a console session whose CSRF token came along in X-CSRF-Token. */
    private Optional<String> sessionUser(HttpServletRequest req) {
        return console == null ? Optional.empty() : console.sessionUser(req);
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Cache-Control", "no-store");
        var crossSite = CrossSiteCheck.violation(req);
        if (crossSite.isPresent()) {
            refuse(
                    req,
                    resp,
                    new ApiError(Refusal.CROSS_SITE, "refused: a request sent by a page of another site"),
                    crossSite.get(),
                    "");
            return;
        }
        String authorization = req.getHeader("Authorization");
        var login = authorization != null
                ? services.credentials().checkBasic(authorization, req.getRemoteAddr())
                : sessionUser(req)
                        .map(AdminCredentials.Login::accepted)
                        .orElse(AdminCredentials.Login.refused(Refusal.LOGIN_REQUIRED, Duration.ZERO));
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
        int status =
                "POST".equals(req.getMethod()) && !"config".equals(resource) ? 201 : 200; // an apply creates nothing
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
        } catch (JacksonException e) {
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

    private Object route(String method, String resource, String id, HttpServletRequest req, String actor)
            throws IOException {
        return switch (resource + " " + method) {
            case "status GET" -> services.status().get();
            case "endpoints GET" ->
                services.endpoints().list().stream()
                        .map(AdminApiServlet::endpointJson)
                        .toList();
            case "endpoints POST" -> publish(req, actor);
            case "endpoints DELETE" ->
                req.getParameter("role_id") != null
                        ? operations.unpublishRole(req.getParameter("role_id"), actor)
                        : operations.unpublish(req.getParameter("external_path"), actor);
            case "roles GET" ->
                services.roles().stream()
                        .map(r -> Map.of("kind", r.kind(), "request_headers", new TreeSet<>(r.requestHeaders())))
                        .toList();
            case "roots GET" -> services.trust().list();
            case "roots POST" -> operations.addRoots(body(req, BodyTypes.PEM), actor);
            case "roots DELETE" -> operations.removeRoot(required(id, "thumbprint"), actor);
            case "ctl GET" -> services.trust().ctl();
            case "ctl POST" -> operations.addCtl(body(req, BodyTypes.PEM), actor);
            case "ctl DELETE" -> operations.removeCtl(required(id, "thumbprint"), actor);
            case "crls GET" -> services.trust().crls();
            case "crls POST" -> operations.addCrl(body(req, BodyTypes.PEM), actor);
            case "crls DELETE" -> operations.removeCrl(required(id, "sha256"), actor);
            case "settings GET" ->
                id == null
                        ? services.settings().list()
                        : services.settings().get(id).orElseThrow(() -> new ApiError(404, "unknown setting: " + id));
            case "settings PUT" -> setSetting(required(id, "setting name"), body(req), actor);
            case "audit GET" -> services.audit().recent(limit(req.getParameter("limit")));
            case "connection-points GET" -> services.connectionPoints().list();
            case "connection-points POST" -> registerConnectionPoint(req, actor);
            case "connection-points DELETE" -> operations.unregisterConnectionPoint(required(id, "name"), actor);
            case "channels GET" -> services.channelStatus().list();
            case "secrets GET" -> services.secrets().list();
            case "explain POST" -> explain(req);
            case "analyze POST" -> analyze(req, actor);
            case "admin-certs GET" -> operations.adminCertificates().list();
            case "admin-certs POST" -> addAdminCertificate(body(req), actor);
            case "admin-certs DELETE" -> operations.removeAdminCertificate(required(id, "thumbprint"), actor);
            case "quotas GET" ->
                services.quotas().list().stream().map(this::quotaJson).toList();
            case "quotas POST" -> quotaJson(operations.setQuota(JSON.readTree(body(req)), actor));
            case "quotas DELETE" ->
                operations.removeQuota(required(req.getParameter("external_path"), "external_path parameter"), actor);
            case "config GET" -> new Text("application/yaml", configAsCode().export(actor));
            case "config POST" -> applyConfig(req, actor);
            case "traffic GET" ->
                services.traffic()
                        .since(services.clock().instant().minus(Duration.ofHours(limit(req.getParameter("hours")))));
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
            return operations
                    .publishRole(
                            json.path("role").asText(),
                            json.path("role_id").asText(""),
                            json.path("site").asText(null),
                            json.path("internal_url").asText(null),
                            actor)
                    .stream()
                    .map(AdminApiServlet::endpointJson)
                    .toList();
        }
        String roleKind = null;
        if (json instanceof ObjectNode o && o.has("role_kind")) {
            var kind = o.remove("role_kind");
            if (!kind.isNull()) {
                roleKind = kind.asText();
            }
        }
        EndpointRequest request;
        try {
            request = JSON.treeToValue(json, EndpointRequest.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("malformed endpoint JSON: " + e.getOriginalMessage());
        }
        return endpointJson(operations.publish(request, roleKind, actor));
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
        List<X509Certificate> chain =
                AdminOperations.chain(json.path("certificate").asText(""));
        String token = json.path("token").asText("");
        return services.explainer()
                .explain(
                        json.path("method").asText("GET").toUpperCase(Locale.ROOT),
                        url,
                        chain,
                        token.isEmpty() ? null : token,
                        explainHeaders(json.path("headers")));
    }

    /**
     * The connection analyzer at this instance. Body: JSON {certificate (PEM chain), token (a token
     * device's access token), entra_token (an Entra device's access token), roles (role IDs that must
     * be published)}, each optional; a kind of device without credentials is skipped.
     */
    private Object analyze(HttpServletRequest req, String actor) throws IOException {
        var json = JSON.readTree(body(req));
        var roles = new ArrayList<String>();
        json.path("roles").forEach(r -> roles.add(r.asText()));
        return ConnectionAnalyzer.json(operations.analyze(
                AdminOperations.chain(json.path("certificate").asText("")),
                json.path("token").asText(null),
                json.path("entra_token").asText(null),
                roles,
                actor));
    }

    private static HttpFields explainHeaders(JsonNode headers) {
        var fields = HttpFields.build();
        if (headers.isMissingNode() || headers.isNull()) {
            return fields;
        }
        if (!headers.isObject() || headers.size() > 100) {
            throw new IllegalArgumentException("headers must be an object of at most 100 names: {\"Name\": \"value\"}");
        }
        for (var e : headers.properties()) {
            if (!HeaderPolicy.isToken(e.getKey())) {
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
        var plugin = services.pluginResources().stream()
                .filter(r -> r.name().equals(resource))
                .findFirst()
                .orElseThrow(() -> new ApiError(404, "no such API: " + method + " /api/" + resource));
        var query = new LinkedHashMap<String, String>();
        req.getParameterMap().forEach((k, v) -> query.put(k, v.length > 0 ? v[0] : ""));
        String subPath = id == null ? "" : "/" + id;
        boolean streamed = plugin.streamsBody(method, subPath);
        if (streamed && !BodyTypes.accepts(BodyTypes.STREAM, req.getContentType())) {
            throw unsupportedType(BodyTypes.STREAM);
        }
        byte[] body =
                streamed || "GET".equals(method) || "DELETE".equals(method) ? new byte[0] : body(req, BodyTypes.PLUGIN);
        AdminReply reply;
        try (InputStream stream = streamed ? req.getInputStream() : null) {
            reply = plugin.handle(new AdminCall(method, subPath, query, body, actor, stream));
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

    /** Body: the value as text, or JSON {"value": ...}. */
    private Object setSetting(String name, byte[] body, String actor) throws IOException {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return operations.setSetting(
                name, text.startsWith("{") ? JSON.readTree(text).path("value").asText() : text, actor);
    }

    /** A quota with its use in the current window as this instance sees it (the other instances' included). */
    private Map<String, Object> quotaJson(Quota q) {
        var m = new LinkedHashMap<String, Object>();
        m.put("external_path", q.externalPath());
        m.put("window", Quota.formatWindow(q.window()));
        m.put("requests", q.requests());
        m.put("egress_bytes", q.egressBytes());
        m.put("device_requests", q.deviceRequests());
        m.put("device_egress_bytes", q.deviceEgressBytes());
        m.put("warn_percent", q.warnPercent());
        m.put("updated_at", q.updatedAt());
        m.put("updated_by", q.updatedBy());
        services.quotaUse()
                .use(q.externalPath())
                .filter(u -> u.quota().window().equals(q.window()))
                .ifPresent(u -> {
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
        return operations.registerConnectionPoint(
                json.path("name").asText(""),
                json.path("site").asText(""),
                json.path("certificate").asText(""),
                json.path("connection_id").asText(""),
                actor);
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
        m.put(
                "changes",
                result.plan().changes().stream()
                        .map(AdminApiServlet::changeJson)
                        .toList());
        m.put("unchanged", result.plan().unchanged());
        m.put(
                "kept",
                result.plan().kept().stream().map(AdminApiServlet::changeJson).toList());
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
        m.put("action", c.action().name().toLowerCase(Locale.ROOT));
        m.put("item", c.item());
        m.put("detail", c.detail());
        return m;
    }

    /** Body: JSON {user, certificate (PEM)}: that certificate logs its holder in to the console as that administrator. */
    private Object addAdminCertificate(byte[] body, String actor) throws IOException {
        var json = JSON.readTree(body);
        return operations.addAdminCertificate(
                json.path("user").asText(""), json.path("certificate").asText(""), actor);
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
    private static byte[] body(HttpServletRequest req, Set<String> accepted) throws IOException {
        return body(req, accepted, MAX_BODY);
    }

    private static byte[] body(HttpServletRequest req, Set<String> accepted, int max) throws IOException {
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

    private static ApiError unsupportedType(Set<String> accepted) {
        return new ApiError(
                Refusal.UNSUPPORTED_CONTENT_TYPE,
                "Content-Type must be " + String.join(" or ", new TreeSet<>(accepted)));
    }

    private void refuseLogin(HttpServletRequest req, HttpServletResponse resp, AdminCredentials.Login login)
            throws IOException {
        String message = switch (login.status()) {
            case 429 -> "too many failed logins: retry in " + login.retryAfterSeconds() + " s";
            case 400 -> "user names are at most " + LoginThrottle.MAX_USER_NAME + " characters";
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
        refusals.record(
                new RequestRefused(e.status, e.reason, detail),
                req.getMethod(),
                req.getRequestURI(),
                req.getRemoteAddr(),
                actor);
        if (req.getContentLengthLong() != 0) {
            resp.setHeader(
                    "Connection", "close"); // the body stays unread: say so, or a client may reuse the connection
        }
        var body = new LinkedHashMap<String, Object>();
        body.put("error", e.getMessage());
        body.put("reason", e.reason);
        send(resp, e.status, body);
    }

    private static void send(HttpServletResponse resp, int status, Object body) throws IOException {
        // serialise first: a failure must not leave half a body
        byte[] json = body instanceof Text t
                ? t.body().getBytes(StandardCharsets.UTF_8)
                : Json.PRETTY.writeValueAsBytes(body);
        resp.setStatus(status);
        resp.setContentType(body instanceof Text t ? t.contentType() : "application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setContentLength(json.length);
        resp.getOutputStream().write(json);
    }
}
