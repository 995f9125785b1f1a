package org.opencmg.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.opencmg.api.Role;
import org.opencmg.pki.PemFiles;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.channel.ConnectionAnalyzer;
import org.opencmg.server.store.AdminCertificates;
import org.opencmg.server.store.ClientTrustStore;
import org.opencmg.server.store.ConnectionPointStore;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.Quota;
import org.opencmg.server.store.SettingsStore;

/**
 * The administrator's operations, one place for both front ends: the REST API ({@link AdminApiServlet})
 * and the console (webapp) only map HTTP to them. Each validates its input, changes the store, audits
 * the change with the acting administrator and applies it to the live snapshots at once. A refusal
 * is an {@link ApiError} (with its status) or an {@link IllegalArgumentException} (400).
 */
public final class AdminOperations {

    private static final String ROLE_ID = "[0-9A-Za-z_-]{1,64}";

    private final AdminServices services;
    private final AdminCertificates adminCertificates;

    /** @param adminCertificates administrators' client certificates, or null where there are none */
    public AdminOperations(AdminServices services, AdminCertificates adminCertificates) {
        this.services = services;
        this.adminCertificates = adminCertificates;
    }

    public AdminServices services() {
        return services;
    }

    /** One mapping; {@code roleKind} (or null) names a loaded role plugin whose request headers its site then sees. */
    public PublishedEndpoint publish(EndpointRequest request, String roleKind, String actor) {
        var p = request.validate(actor, services.clock().instant());
        return publishOne(roleKind == null ? p : p.withRole(role(roleKind).kind(), null), actor);
    }

    private PublishedEndpoint publishOne(PublishedEndpoint p, String actor) {
        services.endpoints().publish(p);
        services.audit()
                .record(
                        actor,
                        "endpoint.publish",
                        p.endpoint().externalPath(),
                        "site=" + p.site() + " internal=" + p.endpoint().internalUrl() + " methods="
                                + p.endpoint().methods()
                                + " auth=" + p.endpoint().authMethods() + " max="
                                + p.endpoint().maxRequestBytes()
                                + (p.roleKind() == null
                                        ? ""
                                        : " role=" + p.roleKind() + (p.roleId() == null ? "" : ":" + p.roleId())));
        services.live().refresh();
        return p;
    }

    private Role role(String kind) {
        return services.roles().stream()
                .filter(r -> r.kind().equalsIgnoreCase(kind))
                .findFirst()
                .orElseThrow(() -> new ApiError(
                        404,
                        "no role plugin of kind '" + kind + "' (loaded: "
                                + services.roles().stream().map(Role::kind).toList() + ")"));
    }

    /** Every mapping of a role instance, as its plugin defines them; {@code internal} is the role server's base URL. */
    public List<PublishedEndpoint> publishRole(String kind, String roleId, String site, String internal, String actor) {
        if (roleId == null || !roleId.matches(ROLE_ID)) {
            throw new IllegalArgumentException("role_id is required (1-64 of A-Z a-z 0-9 _ -)");
        }
        var role = role(kind);
        if (internal == null || internal.endsWith("/")) {
            throw new IllegalArgumentException(
                    "internal_url is required: the role server's base URL, without a trailing /");
        }
        var validated = new ArrayList<PublishedEndpoint>();
        for (var e : role.endpoints(roleId, internal)) {
            var request = new EndpointRequest(
                    e.externalPath(),
                    e.internalUrl(),
                    site,
                    e.name(),
                    List.copyOf(e.methods()),
                    List.copyOf(e.authMethods()),
                    e.maxRequestBytes());
            validated.add(request.validate(actor, services.clock().instant()).withRole(role.kind(), roleId));
        }
        return validated.stream().map(p -> publishOne(p, actor)).toList();
    }

    public Map<String, Object> unpublishRole(String roleId, String actor) {
        int n = services.endpoints().unpublishRole(roleId);
        if (n == 0) {
            throw new ApiError(404, "no endpoint published for role ID " + roleId);
        }
        services.audit().record(actor, "endpoint.unpublish_role", roleId, n + " endpoints");
        services.live().refresh();
        return Map.of("unpublished", n, "role_id", roleId);
    }

    public Map<String, Object> unpublish(String externalPath, String actor) {
        if (externalPath == null) {
            throw new IllegalArgumentException("external_path is required");
        }
        return removed(
                services.endpoints().unpublish(externalPath),
                "no endpoint with external path ",
                "endpoint.unpublish",
                externalPath,
                actor,
                "unpublished");
    }

    public List<ClientTrustStore.TrustedCertificate> addRoots(byte[] pem, String actor) throws IOException {
        List<X509Certificate> certs = PemFiles.readCertificates(pem);
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("no certificate in the upload");
        }
        var added = new ArrayList<ClientTrustStore.TrustedCertificate>();
        for (X509Certificate c : certs) {
            var row = services.trust().add(c, services.clock().instant());
            services.audit()
                    .record(actor, "trust.add", row.subject(), row.kind() + " sha256=" + row.thumbprintSha256());
            added.add(row);
        }
        services.live().refresh();
        return added;
    }

    public Map<String, Object> removeRoot(String thumbprint, String actor) {
        return removed(
                services.trust().remove(thumbprint),
                "no trusted certificate with thumbprint ",
                "trust.remove",
                thumbprint,
                actor,
                "removed");
    }

    public List<Object> addCtl(byte[] pem, String actor) throws IOException {
        var added = new ArrayList<Object>();
        for (X509Certificate c : PemFiles.readCertificates(pem)) {
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

    public Map<String, Object> removeCtl(String thumbprint, String actor) {
        return removed(
                services.trust().removeFromCtl(thumbprint),
                "no CTL entry with thumbprint ",
                "ctl.remove",
                thumbprint,
                actor,
                "removed");
    }

    public Object addCrl(byte[] pem, String actor) throws IOException {
        X509CRL crl = PemFiles.readCrl(pem);
        var row = services.trust().addCrl(crl, services.clock().instant());
        services.audit()
                .record(actor, "crl.add", row.issuer(), "sha256=" + row.sha256() + " next_update=" + row.nextUpdate());
        services.live().refresh();
        return row;
    }

    public Map<String, Object> removeCrl(String sha256, String actor) {
        return removed(
                services.trust().removeCrl(sha256), "no CRL with sha256 ", "crl.remove", sha256, actor, "removed");
    }

    public SettingsStore.Value setSetting(String name, String value, String actor) {
        String before =
                services.settings().get(name).map(SettingsStore.Value::value).orElse("?");
        // Setting values are never secrets (those live in the secret store), so they may be audited.
        String stored =
                services.settings().set(name, value, actor, services.clock().instant());
        services.audit().record(actor, "setting.set", name, before + " -> " + stored);
        services.live().refresh();
        return services.settings().get(name).orElseThrow();
    }

    /**
     * JSON {external_path (a published endpoint), window ("1h"), requests, egress_bytes,
     * device_requests, device_egress_bytes (each a number, sizes also "10GiB"; absent or null: no
     * such budget), warn_percent (default 80)}. Sets or replaces the endpoint's budgets.
     */
    public Quota setQuota(JsonNode json, String actor) {
        return setQuota(QuotaRequest.of(json), actor);
    }

    /**
     * An endpoint's budgets as an administrator gives them: a published endpoint's path, a window
     * ("1h"), each budget null for none, the warning threshold null for the default (80%).
     */
    public record QuotaRequest(
            String externalPath,
            String window,
            Long requests,
            Long egressBytes,
            Long deviceRequests,
            Long deviceEgressBytes,
            Integer warnPercent) {

        /** From the API's JSON; refuses a field it does not know. */
        static QuotaRequest of(JsonNode json) {
            var known = Set.of(
                    "external_path",
                    "window",
                    "requests",
                    "egress_bytes",
                    "device_requests",
                    "device_egress_bytes",
                    "warn_percent");
            json.fieldNames().forEachRemaining(f -> {
                if (!known.contains(f)) {
                    throw new IllegalArgumentException(
                            "unknown field '" + f + "' (known: " + new TreeSet<>(known) + ")");
                }
            });
            return new QuotaRequest(
                    json.path("external_path").asText(""),
                    json.path("window").asText(""),
                    budget(json, "requests", false),
                    budget(json, "egress_bytes", true),
                    budget(json, "device_requests", false),
                    budget(json, "device_egress_bytes", true),
                    json.hasNonNull("warn_percent") ? json.path("warn_percent").asInt(-1) : null);
        }
    }

    /** Sets or replaces the endpoint's budgets. */
    public Quota setQuota(QuotaRequest request, String actor) {
        String path = request.externalPath() == null ? "" : request.externalPath();
        var endpoint = services.endpoints()
                .find(path)
                .orElseThrow(() -> new ApiError(404, "no endpoint is published at '" + path + "' (cmg endpoint list)"));
        var q = new Quota(
                endpoint.endpoint().externalPath(),
                Quota.parseWindow(request.window() == null ? "" : request.window()),
                request.requests(),
                request.egressBytes(),
                request.deviceRequests(),
                request.deviceEgressBytes(),
                request.warnPercent() == null ? Quota.DEFAULT_WARN_PERCENT : request.warnPercent(),
                services.clock().instant(),
                actor);
        services.quotas().put(q);
        services.audit().record(actor, "quota.set", q.externalPath(), quotaDetail(q));
        services.live().refresh();
        return q;
    }

    static Long budget(JsonNode json, String field, boolean bytes) {
        var v = json.path(field);
        if (v.isMissingNode() || v.isNull() || v.isTextual() && v.asText().isBlank()) {
            return null;
        }
        if (v.canConvertToExactIntegral() && v.canConvertToLong()) {
            return v.asLong();
        }
        if (v.isTextual()) {
            return budget(v.asText(), field, bytes);
        }
        throw new IllegalArgumentException(
                field + " must be a whole number" + (bytes ? " of bytes (or a size like 10GiB)" : ""));
    }

    /** A budget as text ("1000", sizes also "10GiB"); blank is none (null). */
    public static Long budget(String text, String field, boolean bytes) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return bytes ? Quota.parseBytes(text) : Long.parseLong(text.strip());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(field + ": not a count: '" + text + "'");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage());
        }
    }

    public Map<String, Object> removeQuota(String externalPath, String actor) {
        return removed(
                services.quotas().remove(externalPath),
                "no budgets are set on ",
                "quota.remove",
                externalPath,
                actor,
                "removed");
    }

    static String quotaDetail(Quota q) {
        return "window=" + Quota.formatWindow(q.window()) + " requests=" + q.requests() + " egress_bytes="
                + q.egressBytes() + " device_requests=" + q.deviceRequests() + " device_egress_bytes="
                + q.deviceEgressBytes()
                + " warn_percent=" + q.warnPercent();
    }

    /** A connection point by name and site, its PEM certificate and connection ID (empty: one is made). */
    public ConnectionPointStore.Registration registerConnectionPoint(
            String name, String site, String certificatePem, String connectionId, String actor) throws IOException {
        if (!name.matches("[A-Za-z0-9._-]{1,128}") || !site.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException(
                    "name (1-128 of A-Z a-z 0-9 . _ -) and site (1-64 of A-Z a-z 0-9 _ -) are required");
        }
        List<X509Certificate> certs = chain(certificatePem);
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("certificate: the connection point's PEM certificate is required");
        }
        if (connectionId.isEmpty()) {
            connectionId = UUID.randomUUID().toString();
        } else if (!connectionId.matches("[A-Za-z0-9._-]{8,128}")) {
            throw new IllegalArgumentException("connection_id must be 8-128 of A-Z a-z 0-9 . _ -");
        }
        var registration = new ConnectionPointStore.Registration(
                name,
                site,
                Thumbprints.sha256(certs.getFirst()),
                connectionId,
                services.clock().instant(),
                actor);
        services.connectionPoints().register(registration);
        services.audit()
                .record(
                        actor,
                        "connection_point.register",
                        name,
                        "site=" + site + " sha256=" + registration.thumbprintSha256());
        return registration;
    }

    public Map<String, Object> unregisterConnectionPoint(String name, String actor) {
        return removed(
                services.connectionPoints().remove(name),
                "no connection point named ",
                "connection_point.unregister",
                name,
                actor,
                "unregistered");
    }

    public AdminCertificates adminCertificates() {
        if (adminCertificates == null) {
            throw new ApiError(404, "admin certificates are not available here");
        }
        return adminCertificates;
    }

    /** That certificate (PEM) logs its holder in to the console as {@code user}. */
    public AdminCertificates.AdminCertificate addAdminCertificate(String user, String certificatePem, String actor)
            throws IOException {
        if (!services.credentials().exists(user)) {
            throw new IllegalArgumentException("user: no administrator named '" + user + "'");
        }
        List<X509Certificate> certs = chain(certificatePem);
        if (certs.isEmpty()) {
            throw new IllegalArgumentException("certificate: the administrator's PEM certificate is required");
        }
        X509Certificate c = certs.getFirst();
        var row = new AdminCertificates.AdminCertificate(
                Thumbprints.sha256(c),
                user,
                c.getSubjectX500Principal().getName(),
                c.getNotAfter().toInstant(),
                services.clock().instant(),
                actor);
        adminCertificates().add(row);
        services.audit()
                .record(actor, "admin_cert.add", row.subject(), "user=" + user + " sha256=" + row.thumbprintSha256());
        return row;
    }

    public Map<String, Object> removeAdminCertificate(String typed, String actor) {
        String thumbprint = AdminCertificates.canonical(typed);
        return removed(
                adminCertificates().remove(thumbprint),
                "no admin certificate with thumbprint ",
                "admin_cert.remove",
                thumbprint,
                actor,
                "removed");
    }

    /**
     * The connection analyzer at this instance: each kind of device with credentials (a certificate
     * chain, a token device's or an Entra device's access token) through every channel of its site;
     * {@code roles} must be published. Audited with the kinds that ran, never the credentials.
     */
    public ConnectionAnalyzer.Report analyze(
            List<X509Certificate> chain, String token, String entraToken, List<String> roles, String actor) {
        for (String r : roles) {
            if (!r.matches(ROLE_ID)) {
                throw new IllegalArgumentException("not a role ID: " + r);
            }
        }
        var report = services.analyzer().analyze(new ConnectionAnalyzer.Credentials(chain, token, entraToken), roles);
        services.audit()
                .record(
                        actor,
                        "analyze",
                        "instance",
                        report.rows().stream()
                                        .filter(r -> !r.verdict().equals("skipped"))
                                        .map(ConnectionAnalyzer.Row::kind)
                                        .distinct()
                                        .toList()
                                + " ok=" + report.allPassed());
        return report;
    }

    /** A removal's end: 404 when there was nothing to remove, else audited and applied; answers {key: item}. */
    private Map<String, Object> removed(
            boolean found, String missing, String action, String item, String actor, String key) {
        if (!found) {
            throw new ApiError(404, missing + item);
        }
        services.audit().record(actor, action, item, "");
        services.live().refresh();
        return Map.of(key, item);
    }

    /** A PEM certificate chain as typed or uploaded; blank: none. */
    public static List<X509Certificate> chain(String pem) throws IOException {
        return pem == null || pem.isBlank()
                ? List.of()
                : PemFiles.readCertificates(pem.getBytes(StandardCharsets.UTF_8));
    }
}
