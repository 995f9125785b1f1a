package org.opencmg.server.admin;

import java.security.cert.X509CRL;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.opencmg.api.Jdbc;
import org.opencmg.api.Role;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.admin.ConfigDocument.ConnectionPoint;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.AuditTrail;
import org.opencmg.server.store.ClientTrustStore;
import org.opencmg.server.store.ClientTrustStore.CtlEntry;
import org.opencmg.server.store.ConnectionPointStore;
import org.opencmg.server.store.ConnectionPointStore.Registration;
import org.opencmg.server.store.EndpointStore;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.Quota;
import org.opencmg.server.store.QuotaStore;
import org.opencmg.server.store.SettingsCatalog;
import org.opencmg.server.store.SettingsStore;

/**
 * Configuration as code ({@code cmg config export|apply}): the store as a {@link ConfigDocument},
 * and a document compared with the store and applied to it. Apply writes every change in one
 * database transaction with one audit entry ({@code config.apply}, the plan's summary), so other
 * instances see all of it or none. A dry run makes the same writes in a transaction it rolls back:
 * the plan it prints is one the store accepts.
 */
public final class ConfigAsCode {

    public static final String AUDIT_ACTION = "config.apply";

    public enum Action {
        ADD,
        CHANGE,
        REMOVE
    }

    /** One item the apply adds, changes or removes (or, in {@link Plan#kept}, keeps). */
    public record Change(String section, Action action, String item, String detail) {}

    /**
     * @param changes   what apply changes, in the file's section order
     * @param unchanged items of the file the store already has as written
     * @param kept      items of the file's sections that the store has and the file does not list: kept, as --prune was not given
     * @param untouched sections the file leaves out: apply does not look at them
     */
    public record Plan(List<Change> changes, int unchanged, List<Change> kept, List<String> untouched) {

        public long count(Action action) {
            return changes.stream().filter(c -> c.action() == action).count();
        }

        /** "2 to add, 1 to change, 0 to remove (endpoints +2, settings ~1)". */
        public String summary() {
            var bySection = new LinkedHashMap<String, String>();
            for (String section : ConfigDocument.SECTIONS) {
                String counts = changes.stream()
                        .filter(c -> c.section().equals(section))
                        .collect(Collectors.groupingBy(
                                Change::action, () -> new EnumMap<>(Action.class), Collectors.counting()))
                        .entrySet()
                        .stream()
                        .map(e -> symbol(e.getKey()) + e.getValue())
                        .collect(Collectors.joining(" "));
                if (!counts.isEmpty()) {
                    bySection.put(section, counts);
                }
            }
            return count(Action.ADD) + " to add, " + count(Action.CHANGE) + " to change, " + count(Action.REMOVE)
                    + " to remove"
                    + (bySection.isEmpty()
                            ? ""
                            : " ("
                                    + bySection.entrySet().stream()
                                            .map(e -> e.getKey() + " " + e.getValue())
                                            .collect(Collectors.joining(", "))
                                    + ")");
        }
    }

    /**
     * @param applied       whether the store was changed (false for a dry run and for an empty plan)
     * @param connectionIds the connection IDs made for registrations the apply added, by name (empty unless applied)
     */
    public record Result(
            Plan plan, boolean dryRun, boolean prune, boolean applied, Map<String, String> connectionIds) {}

    static String symbol(Action action) {
        return switch (action) {
            case ADD -> "+";
            case CHANGE -> "~";
            case REMOVE -> "-";
        };
    }

    private final Jdbc jdbc;
    private final EndpointStore endpoints;
    private final ClientTrustStore trust;
    private final SettingsStore settings;
    private final ConnectionPointStore connectionPoints;
    private final QuotaStore quotas;
    private final AuditTrail audit;
    private final LiveState live;
    private final Supplier<List<Role>> roles;
    private final Clock clock;
    private final String instance;

    public ConfigAsCode(
            Jdbc jdbc,
            EndpointStore endpoints,
            ClientTrustStore trust,
            SettingsStore settings,
            ConnectionPointStore connectionPoints,
            QuotaStore quotas,
            AuditTrail audit,
            LiveState live,
            Supplier<List<Role>> roles,
            Clock clock,
            String instance) {
        this.jdbc = jdbc;
        this.endpoints = endpoints;
        this.trust = trust;
        this.settings = settings;
        this.connectionPoints = connectionPoints;
        this.quotas = quotas;
        this.audit = audit;
        this.live = live;
        this.roles = roles;
        this.clock = clock;
        this.instance = instance;
    }

    /** What the store holds, as a document. */
    public ConfigDocument current() {
        var changed = new TreeMap<String, String>();
        for (var v : settings.list()) {
            if (!v.value().equals(defaultOf(v.name()))) {
                changed.put(v.name(), v.value());
            }
        }
        return new ConfigDocument(
                Set.copyOf(ConfigDocument.SECTIONS),
                endpoints.list(),
                trust.certificates(),
                trust.ctl(),
                trust.uploadedCrls(),
                changed,
                connectionPoints.list().stream()
                        .map(r -> new ConnectionPoint(r.name(), r.site(), r.thumbprintSha256()))
                        .toList(),
                quotas.list());
    }

    /** The export: a commented YAML document, the same bytes for the same state but for its "Exported from" line. */
    public String export(String actor) {
        return current().render("""
                # OpenCMG gateway configuration: what administrators set on the gateway, as code.
                # Exported from gateway instance %s at %s by %s.
                # Review what applying it would change with: cmg config apply FILE --dry-run; then apply it without --dry-run.
                # apply adds and changes; with --prune it also removes what a section of this file does not list.
                # Never in this file: secrets (connection IDs, secret store values, admin passwords, token signing and
                # storage keys); nor administrators, their certificates, bulk tokens, devices, content, traffic, audit log.
                """.formatted(instance, clock.instant().truncatedTo(ChronoUnit.SECONDS), actor));
    }

    /**
     * Reads {@code yaml} whole (IllegalArgumentException naming the bad entry, nothing changed), plans,
     * and unless {@code dryRun} makes the store match in one transaction.
     */
    public Result apply(String yaml, boolean dryRun, boolean prune, String actor) {
        Instant now = clock.instant();
        var doc = ConfigDocument.parse(yaml, this::roleKind, settings.catalog(), actor, now);
        var ids = new TreeMap<String, String>();
        var planner = new Planner(doc.sections(), prune);

        // Endpoints and quotas, by external path (case-insensitive).
        var storedEndpoints = index(endpoints.list(), PublishedEndpoint::externalPathKey);
        var wanted = index(doc.endpoints(), PublishedEndpoint::externalPathKey);
        planner.diff(
                ConfigDocument.ENDPOINTS,
                storedEndpoints,
                wanted,
                p -> p.endpoint().externalPath(),
                ConfigAsCode::endpointDiff,
                ConfigAsCode::endpointDetail,
                2,
                1,
                (c, p) -> endpoints.publish(c, p),
                (c, p) -> endpoints.unpublish(c, p.endpoint().externalPath()));
        // A quota takes the spelling of its endpoint's path; one on a path published nowhere waits for it (as the API
        // keeps one).
        var published = new HashMap<String, String>();
        if (!planner.prunes(ConfigDocument.ENDPOINTS)) {
            storedEndpoints
                    .values()
                    .forEach(
                            p -> published.put(p.externalPathKey(), p.endpoint().externalPath()));
        }
        wanted.values()
                .forEach(p -> published.put(p.externalPathKey(), p.endpoint().externalPath()));
        var wantedQuotas = index(
                doc.quotas().stream()
                        .map(q -> new Quota(
                                published.getOrDefault(q.externalPathKey(), q.externalPath()),
                                q.window(),
                                q.requests(),
                                q.egressBytes(),
                                q.deviceRequests(),
                                q.deviceEgressBytes(),
                                q.warnPercent(),
                                q.updatedAt(),
                                q.updatedBy()))
                        .toList(),
                Quota::externalPathKey);
        planner.diff(
                ConfigDocument.QUOTAS,
                index(quotas.list(), Quota::externalPathKey),
                wantedQuotas,
                Quota::externalPath,
                ConfigAsCode::quotaDiff,
                q -> AdminOperations.quotaDetail(q)
                        + (published.containsKey(q.externalPathKey())
                                ? ""
                                : " (no endpoint is published at this path: the quota applies once one is)"),
                3,
                0,
                (c, q) -> quotas.put(c, q),
                (c, q) -> quotas.remove(c, q.externalPath()));

        // Trust: certificates by SHA-256 (nothing to change in a certificate), the CTL, CRLs by SHA-256.
        planner.diff(
                ConfigDocument.TRUSTED_CERTIFICATES,
                index(trust.certificates(), Thumbprints::sha256),
                index(doc.trustedCertificates(), Thumbprints::sha256),
                c -> c.getSubjectX500Principal().getName(),
                (a, b) -> "",
                c -> (ClientTrustStore.isSelfSigned(c) ? "root" : "intermediate") + " sha256=" + Thumbprints.sha256(c),
                6,
                5,
                (c, x) -> trust.add(c, x, now),
                (c, x) -> trust.remove(c, Thumbprints.sha256(x)));
        planner.diff(
                ConfigDocument.CTL,
                index(trust.ctl(), CtlEntry::thumbprintSha256),
                index(doc.ctl(), CtlEntry::thumbprintSha256),
                CtlEntry::thumbprintSha256,
                (a, b) -> a.subject().equals(b.subject()) ? "" : "subject: " + a.subject() + " -> " + b.subject(),
                CtlEntry::subject,
                7,
                4,
                (c, e) -> trust.addToCtl(c, e),
                (c, e) -> trust.removeFromCtl(c, e.thumbprintSha256()));
        // The store keeps one CRL per issuer and scope: a newer one in the file replaces the stored one
        // (removed first, whether or not --prune is given); an older one would roll revocations back.
        var storedCrls = index(trust.uploadedCrls(), ConfigDocument::sha256);
        var wantedCrls = index(doc.crls(), ConfigDocument::sha256);
        for (int i = 0; i < doc.crls().size(); i++) {
            X509CRL file = doc.crls().get(i);
            for (var it = storedCrls.values().iterator(); it.hasNext(); ) {
                X509CRL stored = it.next();
                if (!wantedCrls.containsKey(ConfigDocument.sha256(stored))
                        && crlScope(stored).equals(crlScope(file))) {
                    if (stored.getThisUpdate().after(file.getThisUpdate())) {
                        throw new IllegalArgumentException(ConfigDocument.CRLS + "[" + i
                                + "]: older than the stored CRL of its issuer" + " and scope (this_update "
                                + stored.getThisUpdate().toInstant() + "); export again to get that one");
                    }
                    planner.step(
                            8,
                            new Change(
                                    ConfigDocument.CRLS,
                                    Action.REMOVE,
                                    crlLabel(stored),
                                    crlDetail(stored) + " (replaced by the newer CRL of its issuer and scope)"),
                            c -> trust.removeCrl(c, ConfigDocument.sha256(stored)));
                    it.remove();
                }
            }
        }
        planner.diff(
                ConfigDocument.CRLS,
                storedCrls,
                wantedCrls,
                ConfigAsCode::crlLabel,
                (a, b) -> "",
                ConfigAsCode::crlDetail,
                9,
                8,
                (c, crl) -> trust.addCrl(c, crl, now),
                (c, crl) -> trust.removeCrl(c, ConfigDocument.sha256(crl)));

        // Settings: a setting left out of the file is at its default; --prune puts it back there.
        var effective = new TreeMap<String, String>();
        settings.list().forEach(v -> effective.put(v.name(), v.value()));
        doc.settings().forEach((name, value) -> {
            if (value.equals(effective.get(name))) {
                planner.unchanged++;
            } else {
                planner.step(
                        10,
                        new Change(ConfigDocument.SETTINGS, Action.CHANGE, name, effective.get(name) + " -> " + value),
                        c -> settings.set(c, name, value, actor, now));
            }
        });
        effective.forEach((name, value) -> {
            String byDefault = defaultOf(name);
            if (doc.sections().contains(ConfigDocument.SETTINGS)
                    && !doc.settings().containsKey(name)
                    && !value.equals(byDefault)) {
                planner.absent(
                        ConfigDocument.SETTINGS,
                        10,
                        new Change(
                                ConfigDocument.SETTINGS,
                                Action.REMOVE,
                                name,
                                value + " -> " + byDefault + " (its default)"),
                        c -> settings.set(c, name, byDefault, actor, now));
            }
        });

        // Connection points, by name: an existing registration keeps its connection ID; an added one gets a new ID.
        var storedPoints = index(connectionPoints.list(), Registration::name);
        planner.diff(
                ConfigDocument.CONNECTION_POINTS,
                index(
                        storedPoints.values().stream()
                                .map(r -> new ConnectionPoint(r.name(), r.site(), r.thumbprintSha256()))
                                .toList(),
                        ConnectionPoint::name),
                index(doc.connectionPoints(), ConnectionPoint::name),
                ConnectionPoint::name,
                ConfigAsCode::pointDiff,
                p -> "site=" + p.site() + " certificate_sha256=" + p.thumbprintSha256()
                        + (storedPoints.containsKey(p.name()) ? "" : " (a new connection ID is made, printed once)"),
                12,
                11,
                (c, p) -> {
                    var existing = storedPoints.get(p.name());
                    String id = existing != null
                            ? existing.connectionId()
                            : UUID.randomUUID().toString();
                    connectionPoints.register(
                            c, new Registration(p.name(), p.site(), p.thumbprintSha256(), id, now, actor));
                    if (existing == null) {
                        ids.put(p.name(), id);
                    }
                },
                (c, p) -> connectionPoints.remove(c, p.name()));

        var plan = planner.plan();
        if (plan.changes().isEmpty()) {
            return new Result(plan, dryRun, prune, false, Map.of());
        }
        var ordered = planner.steps.stream()
                .sorted(Comparator.comparingInt(Step::phase))
                .toList();
        try {
            jdbc.transaction(c -> {
                for (Step step : ordered) {
                    try {
                        step.write().run(c);
                    } catch (IllegalArgumentException e) { // the store's own refusal (an older CRL): name the item
                        throw new IllegalArgumentException(
                                step.change().section() + " " + step.change().item() + ": " + e.getMessage(), e);
                    }
                }
                if (dryRun) {
                    throw new RolledBack();
                }
                audit.record(c, actor, AUDIT_ACTION, "config", auditDetail(plan, prune));
                return null;
            });
        } catch (RolledBack e) {
            return new Result(plan, true, prune, false, Map.of());
        }
        live.refresh();
        return new Result(plan, false, prune, true, Map.copyOf(ids));
    }

    /** Thrown at the end of a dry run's transaction, so that it rolls back. */
    private static final class RolledBack extends RuntimeException {
        RolledBack() {
            super("dry run", null, false, false);
        }
    }

    /** The summary and as many of the items as the audit log's detail holds. */
    private static String auditDetail(Plan plan, boolean prune) {
        var out = new StringBuilder(plan.summary())
                .append(prune ? "; with --prune" : "")
                .append(':');
        int shown = 0;
        for (Change c : plan.changes()) {
            String item = " " + symbol(c.action()) + c.section() + " " + c.item() + ";";
            if (out.length() + item.length() > 3900) {
                out.append(" and ").append(plan.changes().size() - shown).append(" more");
                break;
            }
            out.append(item);
            shown++;
        }
        return out.toString();
    }

    private Optional<String> roleKind(String kind) {
        return roles.get().stream()
                .map(Role::kind)
                .filter(k -> k.equalsIgnoreCase(kind))
                .findFirst();
    }

    private String defaultOf(String setting) {
        return settings.catalog()
                .find(setting)
                .map(SettingsCatalog.Definition::defaultValue)
                .orElse("");
    }

    private static <T> Map<String, T> index(List<T> items, Function<T, String> key) {
        var out = new LinkedHashMap<String, T>();
        items.forEach(i -> out.put(key.apply(i), i));
        return out;
    }

    @FunctionalInterface
    private interface Write {
        void run(Connection c) throws SQLException;
    }

    @FunctionalInterface
    private interface ItemWrite<T> {
        void run(Connection c, T item) throws SQLException;
    }

    /**
     * A change and the write that makes it. Writes run by phase: quotas and endpoints removed (0, 1), put (2, 3);
     * CTL entries and certificates removed (4, 5), added (6, 7); CRLs removed (8), added (9); settings (10);
     * connection points removed (11), put (12) — removals first, so that they free what additions take.
     */
    private record Step(int phase, Change change, Write write) {}

    /** The plan being made: each section's stored items compared with the file's, by key. */
    private static final class Planner {
        final List<Step> steps = new ArrayList<>();
        final List<Change> kept = new ArrayList<>();
        final Set<String> sections;
        final boolean prune;
        int unchanged;

        Planner(Set<String> sections, boolean prune) {
            this.sections = sections;
            this.prune = prune;
        }

        /** Whether items of {@code section} the file does not list are removed. */
        boolean prunes(String section) {
            return prune && sections.contains(section);
        }

        void step(int phase, Change change, Write write) {
            steps.add(new Step(phase, change, write));
        }

        /** An item of a section of the file that the file does not list: removed with --prune, else kept. */
        void absent(String section, int phase, Change removal, Write write) {
            if (prunes(section)) {
                step(phase, removal, write);
            } else {
                kept.add(removal);
            }
        }

        <T> void diff(
                String section,
                Map<String, T> stored,
                Map<String, T> wanted,
                Function<T, String> label,
                BiFunction<T, T, String> difference,
                Function<T, String> detail,
                int putPhase,
                int removePhase,
                ItemWrite<T> put,
                ItemWrite<T> remove) {
            if (!sections.contains(section)) {
                return;
            }
            wanted.forEach((key, item) -> {
                T before = stored.get(key);
                String diff = before == null ? null : difference.apply(before, item);
                if (before == null) {
                    step(
                            putPhase,
                            new Change(section, Action.ADD, label.apply(item), detail.apply(item)),
                            c -> put.run(c, item));
                } else if (diff.isEmpty()) {
                    unchanged++;
                } else {
                    step(putPhase, new Change(section, Action.CHANGE, label.apply(item), diff), c -> put.run(c, item));
                }
            });
            stored.forEach((key, item) -> {
                if (!wanted.containsKey(key)) {
                    absent(
                            section,
                            removePhase,
                            new Change(section, Action.REMOVE, label.apply(item), detail.apply(item)),
                            c -> remove.run(c, item));
                }
            });
        }

        /** The changes in the file's section order. */
        Plan plan() {
            var changes = steps.stream()
                    .map(Step::change)
                    .sorted(Comparator.comparing((Change c) -> ConfigDocument.SECTIONS.indexOf(c.section())))
                    .toList();
            return new Plan(
                    changes,
                    unchanged,
                    List.copyOf(kept),
                    ConfigDocument.SECTIONS.stream()
                            .filter(s -> !sections.contains(s))
                            .toList());
        }
    }

    private static String endpointDetail(PublishedEndpoint p) {
        var e = p.endpoint();
        return "site=" + p.site() + " internal_url=" + e.internalUrl() + " methods="
                + String.join(",", new TreeSet<>(e.methods()))
                + " auth=" + String.join(",", new TreeSet<>(e.authMethods())) + " max_request_bytes="
                + e.maxRequestBytes()
                + (p.roleKind() == null ? "" : " role=" + p.roleKind() + (p.roleId() == null ? "" : ":" + p.roleId()));
    }

    /** What differs ("site: A -> B; methods: ..."), or "" for nothing; the order of methods and auth means nothing. */
    private static String endpointDiff(PublishedEndpoint a, PublishedEndpoint b) {
        var d = new Differences();
        d.add("external_path", a.endpoint().externalPath(), b.endpoint().externalPath());
        d.add("internal_url", a.endpoint().internalUrl(), b.endpoint().internalUrl());
        d.add("site", a.site(), b.site());
        d.add("name", a.endpoint().name(), b.endpoint().name());
        d.add(
                "methods",
                new TreeSet<>(a.endpoint().methods()),
                new TreeSet<>(b.endpoint().methods()));
        d.add(
                "auth",
                new TreeSet<>(a.endpoint().authMethods()),
                new TreeSet<>(b.endpoint().authMethods()));
        d.add("max_request_bytes", a.endpoint().maxRequestBytes(), b.endpoint().maxRequestBytes());
        d.add("role_kind", a.roleKind(), b.roleKind());
        d.add("role_id", a.roleId(), b.roleId());
        return d.toString();
    }

    private static String quotaDiff(Quota a, Quota b) {
        var d = new Differences();
        d.add("external_path", a.externalPath(), b.externalPath());
        d.add("window", Quota.formatWindow(a.window()), Quota.formatWindow(b.window()));
        d.add("requests", a.requests(), b.requests());
        d.add("egress_bytes", a.egressBytes(), b.egressBytes());
        d.add("device_requests", a.deviceRequests(), b.deviceRequests());
        d.add("device_egress_bytes", a.deviceEgressBytes(), b.deviceEgressBytes());
        d.add("warn_percent", a.warnPercent(), b.warnPercent());
        return d.toString();
    }

    private static String pointDiff(ConnectionPoint a, ConnectionPoint b) {
        var d = new Differences();
        d.add("site", a.site(), b.site());
        d.add("certificate_sha256", a.thumbprintSha256(), b.thumbprintSha256());
        return d.toString();
    }

    /** "field: before -> after; ..." of the fields that differ. */
    private static final class Differences {
        private final List<String> parts = new ArrayList<>();

        void add(String field, Object before, Object after) {
            if (!Objects.equals(before, after)) {
                parts.add(field + ": " + text(before) + " -> " + text(after));
            }
        }

        private static String text(Object o) {
            return o instanceof Set<?> s
                    ? String.join(",", s.stream().map(String::valueOf).toList())
                    : String.valueOf(o);
        }

        @Override
        public String toString() {
            return String.join("; ", parts);
        }
    }

    private static String crlScope(X509CRL crl) {
        return crl.getIssuerX500Principal().getName() + "|" + ClientTrustStore.scope(crl);
    }

    private static String crlLabel(X509CRL crl) {
        return crl.getIssuerX500Principal().getName();
    }

    private static String crlDetail(X509CRL crl) {
        return "this_update=" + crl.getThisUpdate().toInstant() + " sha256=" + ConfigDocument.sha256(crl);
    }
}
