package org.opencmg.server.admin;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.opencmg.pki.PemFiles;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.store.ClientTrustStore;
import org.opencmg.server.store.ClientTrustStore.CtlEntry;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.Quota;
import org.opencmg.server.store.SettingsCatalog;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * The gateway's configuration as code: everything an administrator set that is not a secret, as
 * one YAML document (docs/operations.md, "Configuration as code"). A file is read whole and
 * checked before anything is compared or stored; a bad entry is named by its section and index
 * ({@code endpoints[2]: ...}). It is written sorted and without the times things were set, so two
 * exports of the same state are the same bytes and a change diffs as itself in git.
 *
 * @param sections the sections the file has: apply --prune removes only within these
 */
public record ConfigDocument(
        Set<String> sections,
        List<PublishedEndpoint> endpoints,
        List<X509Certificate> trustedCertificates,
        List<CtlEntry> ctl,
        List<X509CRL> crls,
        SortedMap<String, String> settings,
        List<ConnectionPoint> connectionPoints,
        List<Quota> quotas) {

    public static final int VERSION = 1;
    public static final String ENDPOINTS = "endpoints";
    public static final String TRUSTED_CERTIFICATES = "trusted_certificates";
    public static final String CTL = "ctl";
    public static final String CRLS = "crls";
    public static final String SETTINGS = "settings";
    public static final String CONNECTION_POINTS = "connection_points";
    public static final String QUOTAS = "quotas";
    /** The sections in the order of the file. */
    public static final List<String> SECTIONS =
            List.of(ENDPOINTS, TRUSTED_CERTIFICATES, CTL, CRLS, SETTINGS, CONNECTION_POINTS, QUOTAS);

    /** A connection point's registration without its connection ID, which is a credential and never in the file. */
    public record ConnectionPoint(String name, String site, String thumbprintSha256) {}

    private static final Pattern SHA256 = Pattern.compile("[0-9A-F]{64}");
    private static final Pattern ROLE_ID = Pattern.compile("[0-9A-Za-z_-]{1,64}");
    private static final Pattern POINT_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Larger than any admin upload: a file may carry several large CRLs. */
    static final int MAX_BYTES = 16 * 1024 * 1024;

    private static final YAMLMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .loaderOptions(loaderOptions())
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                    .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static LoaderOptions loaderOptions() {
        var options = new LoaderOptions();
        options.setCodePointLimit(MAX_BYTES);
        options.setAllowDuplicateKeys(false);
        return options;
    }

    /** The comment above each section: what it holds and how apply treats it. */
    private static final Map<String, String> COMMENTS = Map.of(
            ENDPOINTS, """
                    URL mappings (cmg endpoint list), by external_path (case-insensitive). role_kind and role_id: published
                    for a site role instance (its plugin must be loaded where this file is applied).""",
            TRUSTED_CERTIFICATES, """
                    Trusted root and intermediate CAs for client certificates (cmg roots list). subject, kind, not_after and
                    sha256 are read from the certificate for the reader; apply checks sha256 against it.""",
            CTL, """
                    Certificate trust list (cmg ctl list): when not empty, only chains to these roots pass.""",
            CRLS, """
                    Uploaded CRLs (cmg crl list), one per issuer and scope. issuer, this_update, next_update and sha256 are
                    read from the CRL for the reader; apply checks sha256 against it.""",
            SETTINGS, """
                    Settings that differ from their defaults, the gateway's and the plugins' (cmg settings get). A setting
                    left out is at its default (with --prune, apply puts a changed one back to its default).""",
            CONNECTION_POINTS, """
                    Connection point registrations (cmg connection-point list), by name. The connection ID is a credential
                    and is never in this file: apply keeps the ID of an existing registration, and makes a new one for a
                    registration it adds, printed once by apply (put it in that point's connection-point.yaml).""",
            QUOTAS, """
                    Endpoint budgets (cmg endpoint quota list), by external_path. Byte budgets are in bytes.""");

    // ---- writing ----

    /**
     * The document: {@code header} (comment lines, each starting with "#"), then every section,
     * empty ones too, sorted.
     */
    public String render(String header) {
        var out = new StringBuilder(header);
        out.append("version: ").append(VERSION).append('\n');
        var f = JsonNodeFactory.instance;
        var sectionNodes = new HashMap<String, JsonNode>();
        var endpointNodes = f.arrayNode();
        endpoints.stream()
                .sorted(Comparator.comparing(PublishedEndpoint::externalPathKey))
                .forEach(p -> {
                    var n = endpointNodes
                            .addObject()
                            .put("external_path", p.endpoint().externalPath())
                            .put("internal_url", p.endpoint().internalUrl())
                            .put("site", p.site())
                            .put("name", p.endpoint().name());
                    strings(n.putArray("methods"), p.endpoint().methods());
                    strings(n.putArray("auth"), p.endpoint().authMethods());
                    n.put("max_request_bytes", p.endpoint().maxRequestBytes());
                    if (p.roleKind() != null) {
                        n.put("role_kind", p.roleKind());
                    }
                    if (p.roleId() != null) {
                        n.put("role_id", p.roleId());
                    }
                });
        sectionNodes.put(ENDPOINTS, endpointNodes);
        var certificateNodes = f.arrayNode();
        trustedCertificates.stream()
                .sorted(Comparator.comparing((X509Certificate c) -> ClientTrustStore.isSelfSigned(c) ? 0 : 1)
                        .thenComparing(c -> c.getSubjectX500Principal().getName())
                        .thenComparing(Thumbprints::sha256))
                .forEach(c -> certificateNodes
                        .addObject()
                        .put("subject", c.getSubjectX500Principal().getName())
                        .put("kind", ClientTrustStore.isSelfSigned(c) ? "root" : "intermediate")
                        .put("not_after", c.getNotAfter().toInstant().toString())
                        .put("sha256", Thumbprints.sha256(c))
                        .put("certificate", lf(PemFiles.toPem(c))));
        sectionNodes.put(TRUSTED_CERTIFICATES, certificateNodes);
        var ctlNodes = f.arrayNode();
        ctl.stream()
                .sorted(Comparator.comparing(CtlEntry::subject).thenComparing(CtlEntry::thumbprintSha256))
                .forEach(e -> ctlNodes.addObject().put("subject", e.subject()).put("sha256", e.thumbprintSha256()));
        sectionNodes.put(CTL, ctlNodes);
        var crlNodes = f.arrayNode();
        crls.stream()
                .sorted(Comparator.comparing(
                                (X509CRL c) -> c.getIssuerX500Principal().getName())
                        .thenComparing(ClientTrustStore::scope)
                        .thenComparing(ConfigDocument::sha256))
                .forEach(c -> {
                    var n = crlNodes.addObject()
                            .put("issuer", c.getIssuerX500Principal().getName())
                            .put("this_update", c.getThisUpdate().toInstant().toString());
                    if (c.getNextUpdate() != null) {
                        n.put("next_update", c.getNextUpdate().toInstant().toString());
                    }
                    n.put("sha256", sha256(c)).put("crl", lf(PemFiles.toPem(c)));
                });
        sectionNodes.put(CRLS, crlNodes);
        var settingNodes = f.objectNode();
        settings.forEach(settingNodes::put);
        sectionNodes.put(SETTINGS, settingNodes);
        var pointNodes = f.arrayNode();
        connectionPoints.stream()
                .sorted(Comparator.comparing(ConnectionPoint::name))
                .forEach(p -> pointNodes
                        .addObject()
                        .put("name", p.name())
                        .put("site", p.site())
                        .put("certificate_sha256", p.thumbprintSha256()));
        sectionNodes.put(CONNECTION_POINTS, pointNodes);
        var quotaNodes = f.arrayNode();
        quotas.stream().sorted(Comparator.comparing(Quota::externalPathKey)).forEach(q -> {
            var n = quotaNodes
                    .addObject()
                    .put("external_path", q.externalPath())
                    .put("window", Quota.formatWindow(q.window()));
            putBudget(n, "requests", q.requests());
            putBudget(n, "egress_bytes", q.egressBytes());
            putBudget(n, "device_requests", q.deviceRequests());
            putBudget(n, "device_egress_bytes", q.deviceEgressBytes());
            n.put("warn_percent", q.warnPercent());
        });
        sectionNodes.put(QUOTAS, quotaNodes);
        for (String section : SECTIONS) {
            out.append('\n');
            COMMENTS.get(section)
                    .lines()
                    .forEach(l -> out.append("# ").append(l).append('\n'));
            try {
                out.append(lf(YAML.writeValueAsString(f.objectNode().set(section, sectionNodes.get(section)))));
            } catch (JacksonException e) {
                throw new IllegalStateException("cannot write the " + section + " section", e);
            }
        }
        return out.toString();
    }

    private static void strings(ArrayNode array, Set<String> values) {
        new TreeSet<>(values)
                .forEach(array::add); // sorted: the order means nothing, and a file must diff only on changes
    }

    private static void putBudget(ObjectNode n, String field, Long value) {
        if (value != null) {
            n.put(field, value);
        }
    }

    private static String lf(String s) {
        return s.replace("\r\n", "\n");
    }

    static String sha256(X509CRL crl) {
        try {
            return HexFormat.of()
                    .withUpperCase()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(crl.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot hash a CRL", e);
        }
    }

    // ---- reading ----

    /**
     * Reads and checks a whole document.
     *
     * @param roleKind the loaded role plugin's kind for a kind as written (any case), if one is loaded
     * @param catalog  the settings this gateway knows (its own and its plugins')
     * @throws IllegalArgumentException naming the section and index of the first bad entry
     */
    public static ConfigDocument parse(
            String text,
            Function<String, Optional<String>> roleKind,
            SettingsCatalog catalog,
            String actor,
            Instant now) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JacksonException e) {
            var at = e.getLocation();
            throw new IllegalArgumentException("not a YAML document"
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")") + ": "
                    + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(
                    "a configuration is a YAML mapping of version and sections (" + SECTIONS + ")");
        }
        var sections = new LinkedHashSet<String>();
        for (var field : root.properties()) {
            if (field.getKey().equals("version")) {
                continue;
            }
            if (!SECTIONS.contains(field.getKey())) {
                throw new IllegalArgumentException("unknown section '" + field.getKey() + "' (known: version, "
                        + String.join(", ", SECTIONS) + ")");
            }
            sections.add(field.getKey());
        }
        if (!root.path("version").isInt() || root.path("version").asInt() != VERSION) {
            throw new IllegalArgumentException("version: this gateway reads version " + VERSION + " (found "
                    + (root.has("version") ? root.get("version").toString() : "none") + ")");
        }
        var reader = new Reader(root, roleKind, catalog, actor, now);
        return new ConfigDocument(
                Set.copyOf(sections),
                reader.endpoints(),
                reader.certificates(),
                reader.ctl(),
                reader.crls(),
                reader.settings(),
                reader.connectionPoints(),
                reader.quotas());
    }

    /** One section's items, each read with its place ("endpoints[2]") in front of any error. */
    private static final class Reader {
        private final JsonNode root;
        private final Function<String, Optional<String>> roleKind;
        private final SettingsCatalog catalog;
        private final String actor;
        private final Instant now;

        Reader(
                JsonNode root,
                Function<String, Optional<String>> roleKind,
                SettingsCatalog catalog,
                String actor,
                Instant now) {
            this.root = root;
            this.roleKind = roleKind;
            this.catalog = catalog;
            this.actor = actor;
            this.now = now;
        }

        @FunctionalInterface
        interface Item<T> {
            T read(JsonNode item) throws IOException;
        }

        /** The section's items; {@code key} finds duplicates, {@code fields} are the names an item may have. */
        private <T> List<T> list(
                String section, Set<String> fields, Item<T> read, Function<T, String> key, String keyName) {
            JsonNode node = root.path(section);
            if (node.isMissingNode() || node.isNull()) {
                return List.of();
            }
            if (!node.isArray()) {
                throw new IllegalArgumentException(section + ": a list of entries (- ...), or [] for none");
            }
            var out = new ArrayList<T>();
            var seen = new HashMap<String, Integer>();
            for (int i = 0; i < node.size(); i++) {
                String where = section + "[" + i + "]";
                JsonNode item = node.get(i);
                T value;
                try {
                    if (!item.isObject()) {
                        throw new IllegalArgumentException(
                                "an entry is a mapping of " + String.join(", ", new TreeSet<>(fields)));
                    }
                    for (var name : (Iterable<String>) item::fieldNames) {
                        if (!fields.contains(name)) {
                            throw new IllegalArgumentException(
                                    name.equals("connection_id")
                                            ? "connection_id: a connection ID is a credential and is never taken from a file (apply makes "
                                                    + "one for a registration it adds)"
                                            : "unknown field '" + name + "' (known: "
                                                    + String.join(", ", new TreeSet<>(fields)) + ")");
                        }
                    }
                    value = read.read(item);
                } catch (IllegalArgumentException | IOException e) {
                    throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
                }
                Integer earlier = seen.putIfAbsent(key.apply(value), i);
                if (earlier != null) {
                    throw new IllegalArgumentException(
                            where + ": the same " + keyName + " as " + section + "[" + earlier + "]");
                }
                out.add(value);
            }
            return out;
        }

        List<PublishedEndpoint> endpoints() {
            return list(
                    ENDPOINTS,
                    Set.of(
                            "external_path",
                            "internal_url",
                            "site",
                            "name",
                            "methods",
                            "auth",
                            "max_request_bytes",
                            "role_kind",
                            "role_id"),
                    item -> {
                        Long max = item.hasNonNull("max_request_bytes")
                                ? AdminOperations.budget(item, "max_request_bytes", true)
                                : null;
                        var p = new EndpointRequest(
                                        text(item, "external_path"),
                                        text(item, "internal_url"),
                                        text(item, "site"),
                                        text(item, "name"),
                                        strings(item, "methods"),
                                        strings(item, "auth"),
                                        max)
                                .validate(actor, now);
                        String kind = text(item, "role_kind");
                        String id = text(item, "role_id");
                        if (id != null && (kind == null || !ROLE_ID.matcher(id).matches())) {
                            throw new IllegalArgumentException(
                                    "role_id goes with a role_kind, and is 1-64 of A-Z a-z 0-9 _ -");
                        }
                        if (kind == null) {
                            return p;
                        }
                        String loaded = roleKind.apply(kind)
                                .orElseThrow(() -> new IllegalArgumentException(
                                        "role_kind: no role plugin of kind '" + kind + "' is loaded"));
                        return p.withRole(loaded, id);
                    },
                    PublishedEndpoint::externalPathKey,
                    "external_path (case-insensitive)");
        }

        List<X509Certificate> certificates() {
            return list(
                    TRUSTED_CERTIFICATES,
                    Set.of("subject", "kind", "not_after", "sha256", "certificate"),
                    item -> {
                        var certs = PemFiles.readCertificates(
                                required(item, "certificate").getBytes(StandardCharsets.US_ASCII));
                        if (certs.size() != 1) {
                            throw new IllegalArgumentException(
                                    "certificate: one PEM certificate per entry (found " + certs.size() + ")");
                        }
                        X509Certificate c = certs.getFirst();
                        if (c.getBasicConstraints() < 0) {
                            throw new IllegalArgumentException("certificate: not a CA certificate: "
                                    + c.getSubjectX500Principal().getName());
                        }
                        checkSha256(item, Thumbprints.sha256(c), "certificate");
                        return c;
                    },
                    Thumbprints::sha256,
                    "certificate");
        }

        List<CtlEntry> ctl() {
            return list(
                    CTL,
                    Set.of("subject", "sha256"),
                    item -> {
                        String sha256 = thumbprint(required(item, "sha256"), "sha256");
                        String subject = text(item, "subject");
                        return new CtlEntry(sha256, subject == null ? "" : subject, now);
                    },
                    CtlEntry::thumbprintSha256,
                    "sha256");
        }

        List<X509CRL> crls() {
            var crls = list(
                    CRLS,
                    Set.of("issuer", "this_update", "next_update", "sha256", "crl"),
                    item -> {
                        X509CRL crl = PemFiles.readCrl(required(item, "crl").getBytes(StandardCharsets.US_ASCII));
                        checkSha256(item, sha256(crl), "CRL");
                        return crl;
                    },
                    ConfigDocument::sha256,
                    "CRL");
            // The store keeps one CRL per issuer and scope: two in a file would replace each other at every apply.
            var scopes = new HashMap<String, Integer>();
            for (int i = 0; i < crls.size(); i++) {
                X509CRL c = crls.get(i);
                Integer earlier =
                        scopes.putIfAbsent(c.getIssuerX500Principal().getName() + "|" + ClientTrustStore.scope(c), i);
                if (earlier != null) {
                    throw new IllegalArgumentException(CRLS + "[" + i + "]: a CRL of the same issuer and scope as crls["
                            + earlier + "]; keep only the newer");
                }
            }
            return crls;
        }

        SortedMap<String, String> settings() {
            var out = new TreeMap<String, String>();
            JsonNode node = root.path(SETTINGS);
            if (node.isMissingNode() || node.isNull()) {
                return out;
            }
            if (!node.isObject()) {
                throw new IllegalArgumentException(SETTINGS + ": a mapping of setting names to values, or {} for none");
            }
            for (var e : node.properties()) {
                String where = SETTINGS + "." + e.getKey();
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw new IllegalArgumentException(where + ": a value (text, number, true or false)");
                }
                var definition = catalog.find(e.getKey())
                        .orElseThrow(() -> new IllegalArgumentException(
                                where + ": unknown setting (known: " + catalog.names() + ")"));
                try {
                    out.put(e.getKey(), definition.canonical(e.getValue().asText()));
                } catch (IllegalArgumentException x) {
                    throw new IllegalArgumentException(where + ": " + x.getMessage(), x);
                }
            }
            return out;
        }

        List<ConnectionPoint> connectionPoints() {
            return list(
                    CONNECTION_POINTS,
                    Set.of("name", "site", "certificate_sha256"),
                    item -> {
                        String name = required(item, "name");
                        String site = required(item, "site");
                        if (!POINT_NAME.matcher(name).matches()
                                || !SITE.matcher(site).matches()) {
                            throw new IllegalArgumentException(
                                    "name (1-128 of A-Z a-z 0-9 . _ -) and site (1-64 of A-Z a-z 0-9 _ -)");
                        }
                        return new ConnectionPoint(
                                name, site, thumbprint(required(item, "certificate_sha256"), "certificate_sha256"));
                    },
                    ConnectionPoint::name,
                    "name");
        }

        List<Quota> quotas() {
            return list(
                    QUOTAS,
                    Set.of(
                            "external_path",
                            "window",
                            "requests",
                            "egress_bytes",
                            "device_requests",
                            "device_egress_bytes",
                            "warn_percent"),
                    item -> {
                        String path = required(item, "external_path");
                        if (!path.startsWith("/")) {
                            throw new IllegalArgumentException(
                                    "external_path: an endpoint's external path, starting with /");
                        }
                        return new Quota(
                                path,
                                Quota.parseWindow(required(item, "window")),
                                AdminOperations.budget(item, "requests", false),
                                AdminOperations.budget(item, "egress_bytes", true),
                                AdminOperations.budget(item, "device_requests", false),
                                AdminOperations.budget(item, "device_egress_bytes", true),
                                item.hasNonNull("warn_percent")
                                        ? item.path("warn_percent").asInt(-1)
                                        : Quota.DEFAULT_WARN_PERCENT,
                                now,
                                actor);
                    },
                    Quota::externalPathKey,
                    "external_path (case-insensitive)");
        }

        private static String text(JsonNode item, String field) {
            JsonNode v = item.path(field);
            if (v.isMissingNode() || v.isNull()) {
                return null;
            }
            if (!v.isValueNode()) {
                throw new IllegalArgumentException(field + ": a single value");
            }
            return v.asText();
        }

        private static String required(JsonNode item, String field) {
            String v = text(item, field);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(field + " is required");
            }
            return v;
        }

        private static List<String> strings(JsonNode item, String field) {
            JsonNode v = item.path(field);
            if (v.isMissingNode() || v.isNull()) {
                return null;
            }
            if (!v.isArray()) {
                throw new IllegalArgumentException(field + ": a list");
            }
            var out = new ArrayList<String>();
            for (JsonNode e : v) {
                if (!e.isValueNode() || e.isNull()) {
                    throw new IllegalArgumentException(field + ": a list of names");
                }
                out.add(e.asText());
            }
            return out;
        }

        private static String thumbprint(String typed, String field) {
            String t = typed.replace(":", "").replace(" ", "").strip().toUpperCase(Locale.ROOT);
            if (!SHA256.matcher(t).matches()) {
                throw new IllegalArgumentException(field + ": a SHA-256 thumbprint (64 hex digits)");
            }
            return t;
        }

        private static void checkSha256(JsonNode item, String actual, String what) {
            String written = text(item, "sha256");
            if (written != null && !thumbprint(written, "sha256").equals(actual)) {
                throw new IllegalArgumentException(
                        "sha256 is not the " + what + "'s (" + actual + "): was one of them edited?");
            }
        }
    }
}
