package org.opencmg.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Endpoint;
import org.opencmg.api.Jdbc;
import org.opencmg.api.Role;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.CrlBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.admin.ConfigAsCode.Action;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.AuditTrail;
import org.opencmg.server.store.ClientTrustStore;
import org.opencmg.server.store.ConnectionPointStore;
import org.opencmg.server.store.ConnectionPointStore.Registration;
import org.opencmg.server.store.Database;
import org.opencmg.server.store.EndpointStore;
import org.opencmg.server.store.Quota;
import org.opencmg.server.store.QuotaStore;
import org.opencmg.server.store.SettingsStore;
import org.opencmg.server.store.StateRevisions;

/**
 * Configuration as code on real H2 stores: what an export holds, and an apply that makes a store
 * match a file — whole or not at all, once, audited as one change, and only with --prune removing.
 */
class ConfigAsCodeTest {

    private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");
    private static final IssuedCertificate ROOT =
            CertificateBuilder.rootCa("Corp Root CA").build();
    private static final IssuedCertificate ISSUING =
            CertificateBuilder.intermediateCa("Corp Issuing CA", ROOT).build();
    private static final IssuedCertificate OTHER_ROOT =
            CertificateBuilder.rootCa("Partner Root CA").build();
    private static final IssuedCertificate POINT =
            CertificateBuilder.leaf("cp1.corp.example", ISSUING).clientAuth().build();
    private static final String ROLE_ID = "72057594037927939";
    private static final String MP = "/CCM_Proxy_MutualAuth/" + ROLE_ID + "/SMS_MP";
    private static final String CONNECTION_ID = "cp1-connection-id-5d8e2b";

    /** A role plugin of kind mp, as the management point plugin declares itself. */
    private static final Role MP_ROLE = new Role() {
        @Override
        public String kind() {
            return "mp";
        }

        @Override
        public List<Endpoint> endpoints(String roleId, String internalBaseUrl) {
            return List.of();
        }
    };

    @TempDir
    Path dir;

    private final List<Store> opened = new java.util.ArrayList<>();

    /** One gateway's store, every repository on it, and the service under test. */
    private final class Store {
        final Database database;
        final Jdbc jdbc;
        final StateRevisions revisions;
        final EndpointStore endpoints;
        final ClientTrustStore trust;
        final SettingsStore settings;
        final ConnectionPointStore points;
        final QuotaStore quotas;
        final AuditTrail audit;
        final ConfigAsCode config;

        Store(String name) {
            database = Database.open(new GatewayConfig.Database(
                    "jdbc:h2:file:" + dir.resolve(name).resolve("cmg"), "cmg", null, null, 4));
            opened.add(this);
            jdbc = new Jdbc(database.dataSource());
            revisions = new StateRevisions(jdbc);
            endpoints = new EndpointStore(jdbc, revisions);
            trust = new ClientTrustStore(jdbc, revisions);
            settings = new SettingsStore(jdbc, revisions);
            points = new ConnectionPointStore(jdbc, revisions);
            quotas = new QuotaStore(jdbc, revisions);
            audit = new AuditTrail(jdbc, Clock.fixed(NOW, ZoneOffset.UTC));
            var live = new LiveState(revisions, endpoints, trust, settings, points);
            config = new ConfigAsCode(
                    jdbc,
                    endpoints,
                    trust,
                    settings,
                    points,
                    quotas,
                    audit,
                    live,
                    () -> List.of(MP_ROLE),
                    Clock.fixed(NOW, ZoneOffset.UTC),
                    "gw-" + name);
        }

        ConfigAsCode.Result apply(String yaml) {
            return config.apply(yaml, false, false, "admin");
        }

        /** The export without its "Exported from" line, which names the instance and the time. */
        String export() {
            return config.export("admin")
                    .lines()
                    .filter(l -> !l.startsWith("# Exported from"))
                    .reduce("", (a, b) -> a + b + "\n");
        }

        long configApplies() {
            return audit.recent(100).stream()
                    .filter(e -> e.action().equals(ConfigAsCode.AUDIT_ACTION))
                    .count();
        }
    }

    @AfterEach
    void close() {
        opened.forEach(s -> s.database.close());
    }

    /** What an administrator set: a role's endpoint and a plain one, trust, a setting, a connection point, a quota. */
    private static Store configured(Store s) throws Exception {
        var admin = "admin";
        s.endpoints.publish(new EndpointRequest(
                        MP,
                        "https://mp.corp.example/SMS_MP",
                        "PS1",
                        null,
                        List.of("GET", "POST", "CCM_POST"),
                        List.of("pki"),
                        null)
                .validate(admin, NOW)
                .withRole("mp", ROLE_ID));
        s.endpoints.publish(new EndpointRequest(
                        "/CCM_Proxy_ServerAuth/" + ROLE_ID + "/CCM_STS",
                        "https://mp.corp.example/CCM_STS",
                        "PS1",
                        "sts",
                        List.of("POST"),
                        List.of("token", "entra"),
                        65536L)
                .validate(admin, NOW));
        s.trust.add(ROOT.certificate(), NOW);
        s.trust.add(ISSUING.certificate(), NOW);
        s.trust.addToCtl(ROOT.certificate(), NOW);
        s.trust.addCrl(
                CrlBuilder.issuedBy(ROOT)
                        .thisUpdate(NOW.minus(Duration.ofHours(1)))
                        .build(),
                NOW);
        s.settings.set("revocation-mode", "soft", admin, NOW);
        s.settings.set("enforce-tls12", "true", admin, NOW); // its default: not part of the export
        s.points.register(
                new Registration("cp1", "PS1", Thumbprints.sha256(POINT.certificate()), CONNECTION_ID, NOW, admin));
        s.quotas.put(new Quota(MP, Duration.ofHours(1), 100_000L, null, 600L, 1L << 30, 80, NOW, admin));
        return s;
    }

    @Test
    void anExportAppliedToAnEmptyStoreExportsTheSameAgain() throws Exception {
        var a = configured(new Store("a"));
        String exported = a.config.export("admin");
        assertThat(exported)
                .startsWith("# OpenCMG gateway configuration")
                .contains("# Exported from gateway instance gw-a at 2026-12-03T10:00:00Z by admin.");

        var b = new Store("b");
        var result = b.apply(exported);

        assertThat(result.applied()).isTrue();
        assertThat(result.plan().count(Action.ADD)).as(result.plan().summary()).isEqualTo(2 + 2 + 1 + 1 + 1 + 1);
        assertThat(result.plan().count(Action.CHANGE)).as("revocation-mode").isEqualTo(1);
        assertThat(b.export()).isEqualTo(a.export());
        assertThat(b.endpoints.find(MP).orElseThrow().roleId()).isEqualTo(ROLE_ID);
        // The connection ID is a credential: never exported, so the new registration gets a new one, returned once.
        assertThat(exported).doesNotContain(CONNECTION_ID);
        String newId = result.connectionIds().get("cp1");
        assertThat(newId).isNotBlank().isNotEqualTo(CONNECTION_ID);
        assertThat(b.points.list()).singleElement().satisfies(r -> {
            assertThat(r.connectionId()).isEqualTo(newId);
            assertThat(r.thumbprintSha256()).isEqualTo(Thumbprints.sha256(POINT.certificate()));
        });
    }

    @Test
    void theExportIsCommentedSortedYaml() throws Exception {
        String yaml = configured(new Store("a")).export();

        assertThat(yaml).contains("""
                version: 1

                # URL mappings (cmg endpoint list), by external_path (case-insensitive).""");
        assertThat(yaml).contains("""
                - external_path: /CCM_Proxy_MutualAuth/72057594037927939/SMS_MP
                  internal_url: https://mp.corp.example/SMS_MP
                  site: PS1
                  name: sms_mp
                  methods:
                  - CCM_POST
                  - GET
                  - POST
                  auth:
                  - pki
                  max_request_bytes: 5242880
                  role_kind: mp
                  role_id: "72057594037927939"
                """);
        assertThat(yaml).contains("""
                settings:
                  revocation-mode: soft
                """).doesNotContain("enforce-tls12:");
        assertThat(yaml).contains("""
                connection_points:
                - name: cp1
                  site: PS1
                  certificate_sha256: %s
                """.formatted(Thumbprints.sha256(POINT.certificate())));
        assertThat(yaml).contains("  certificate: |\n    -----BEGIN CERTIFICATE-----\n");
        assertThat(yaml).contains("  crl: |\n    -----BEGIN X509 CRL-----\n");
        assertThat(yaml.indexOf("subject: CN=Corp Root CA"))
                .as("roots before intermediates")
                .isLessThan(yaml.indexOf("subject: CN=Corp Issuing CA"));
    }

    @Test
    void applyingTheSameFileTwiceChangesNothingTheSecondTime() throws Exception {
        String exported = configured(new Store("a")).config.export("admin");
        var b = new Store("b");
        b.apply(exported);
        var revisions = b.revisions.current();

        var second = b.apply(exported);

        assertThat(second.plan().changes()).isEmpty();
        assertThat(second.applied()).isFalse();
        assertThat(second.plan().unchanged()).isEqualTo(2 + 2 + 1 + 1 + 1 + 1 + 1);
        assertThat(b.revisions.current()).as("nothing written").isEqualTo(revisions);
        assertThat(b.configApplies()).as("one audit entry, for the first apply").isEqualTo(1);
        assertThat(b.audit.recent(1).getFirst().detail())
                .startsWith("8 to add, 1 to change, 0 to remove (endpoints +2, "
                        + "trusted_certificates +2, ctl +1, crls +1, settings ~1, connection_points +1, quotas +1):");
    }

    @Test
    void aDryRunPrintsThePlanAndChangesNothing() throws Exception {
        String exported = configured(new Store("a")).config.export("admin");
        var b = new Store("b");
        String before = b.export();
        var revisions = b.revisions.current();

        var result = b.config.apply(exported, true, false, "admin");

        assertThat(result.dryRun()).isTrue();
        assertThat(result.applied()).isFalse();
        assertThat(result.connectionIds())
                .as("no ID is made for a registration that is not")
                .isEmpty();
        assertThat(result.plan().changes())
                .extracting(ConfigAsCode.Change::section, ConfigAsCode.Change::action, ConfigAsCode.Change::item)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("endpoints", Action.ADD, MP),
                        org.assertj.core.groups.Tuple.tuple("settings", Action.CHANGE, "revocation-mode"),
                        org.assertj.core.groups.Tuple.tuple("connection_points", Action.ADD, "cp1"));
        assertThat(b.export()).isEqualTo(before);
        assertThat(b.revisions.current()).isEqualTo(revisions);
        assertThat(b.configApplies()).isZero();
    }

    @Test
    void aMalformedFileChangesNothingAndNamesTheBadEntry() throws Exception {
        var b = configured(new Store("b"));
        String before = b.export();
        String good = configured(new Store("a")).config.export("admin");

        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply(good.replace(
                        "internal_url: https://mp.corp.example/CCM_STS",
                        "internal_url: ftp://mp.corp.example/CCM_STS")))
                .withMessageStartingWith("endpoints[1]: internal_url must be http(s)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply(good.replace("revocation-mode: soft", "revocation-mode: maybe")))
                .withMessage("settings.revocation-mode: revocation-mode takes hard or soft, not 'maybe'");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply(good.replace(
                        "  site: PS1\n  certificate_sha256:",
                        "  site: PS1\n  connection_id: stolen-or-typed-0001\n  certificate_sha256:")))
                .withMessageStartingWith("connection_points[0]: connection_id: a connection ID is a credential");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply(good.replace("  window: 1h", "  window: 1y")))
                .withMessageStartingWith("quotas[0]: window:");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply(good.replace("role_kind: mp", "role_kind: dp")))
                .withMessage("endpoints[0]: role_kind: no role plugin of kind 'dp' is loaded");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply(good + "\nroutes: []\n"))
                .withMessageStartingWith("unknown section 'routes'");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply("version: 1\nendpoints: [\n"))
                .withMessageStartingWith("not a YAML document (line");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply("version: 2\n"))
                .withMessageStartingWith("version: this gateway reads version 1");
        String edited = good.replaceFirst("(certificate: \\|\\n    -----BEGIN CERTIFICATE-----\\n    )M", "$1N");
        assertThatIllegalArgumentException()
                .as("an edited certificate")
                .isThrownBy(() -> b.apply(edited))
                .withMessageStartingWith("trusted_certificates[0]: ");
        // A later entry bad, after good ones: still nothing changed.
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.apply(good.replace("  warn_percent: 80", "  warn_percent: 180")))
                .withMessage("quotas[0]: warn_percent must be from 1 to 100");

        assertThat(b.export()).isEqualTo(before);
        assertThat(b.configApplies()).isZero();
    }

    @Test
    void itemsTheFileDoesNotListAreKeptUnlessPrunedAndSectionsItLeavesOutAreNotTouched() throws Exception {
        var b = configured(new Store("b"));
        String partial = """
                version: 1
                endpoints:
                - external_path: /CCM_Proxy_MutualAuth/1/CCM_System
                  internal_url: https://mp2.corp.example/CCM_System
                  site: PS2
                settings: {}
                """;

        var kept = b.apply(partial);
        assertThat(kept.plan().changes())
                .extracting(ConfigAsCode.Change::action, ConfigAsCode.Change::item)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Action.ADD, "/CCM_Proxy_MutualAuth/1/CCM_System"));
        assertThat(kept.plan().kept())
                .extracting(ConfigAsCode.Change::section, ConfigAsCode.Change::item)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("endpoints", MP),
                        org.assertj.core.groups.Tuple.tuple(
                                "endpoints", "/CCM_Proxy_ServerAuth/" + ROLE_ID + "/CCM_STS"),
                        org.assertj.core.groups.Tuple.tuple("settings", "revocation-mode"));
        assertThat(kept.plan().untouched())
                .containsExactly("trusted_certificates", "ctl", "crls", "connection_points", "quotas");
        assertThat(b.endpoints.list()).hasSize(3);

        var pruned = b.config.apply(partial, false, true, "admin");
        assertThat(pruned.plan().changes())
                .extracting(ConfigAsCode.Change::action, ConfigAsCode.Change::item)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(Action.REMOVE, MP),
                        org.assertj.core.groups.Tuple.tuple(
                                Action.REMOVE, "/CCM_Proxy_ServerAuth/" + ROLE_ID + "/CCM_STS"),
                        org.assertj.core.groups.Tuple.tuple(Action.REMOVE, "revocation-mode"));
        assertThat(b.endpoints.list())
                .extracting(p -> p.endpoint().externalPath())
                .containsExactly("/CCM_Proxy_MutualAuth/1/CCM_System");
        assertThat(b.settings.get("revocation-mode").orElseThrow().value())
                .as("back to its default")
                .isEqualTo("hard");
        assertThat(b.trust.certificates()).as("a section the file leaves out").hasSize(2);
        assertThat(b.points.list()).hasSize(1);
        assertThat(b.quotas.list())
                .as("a quota stays when its endpoint goes, as with the API")
                .hasSize(1);
    }

    @Test
    void aChangedRegistrationKeepsItsConnectionId() throws Exception {
        var b = configured(new Store("b"));
        String moved = b.config.export("admin").replace("- name: cp1\n  site: PS1", "- name: cp1\n  site: PS2");

        var result = b.apply(moved);

        assertThat(result.plan().changes()).singleElement().satisfies(c -> {
            assertThat(c.action()).isEqualTo(Action.CHANGE);
            assertThat(c.detail()).isEqualTo("site: PS1 -> PS2");
        });
        assertThat(result.connectionIds()).isEmpty();
        assertThat(b.points.list()).singleElement().satisfies(r -> {
            assertThat(r.site()).isEqualTo("PS2");
            assertThat(r.connectionId()).isEqualTo(CONNECTION_ID);
        });
    }

    @Test
    void aNewerCrlInTheFileReplacesTheStoredOneAndAnOlderOneIsRefused() throws Exception {
        var a = configured(new Store("a"));
        String older = a.config.export("admin");
        a.trust.addCrl(
                CrlBuilder.issuedBy(ROOT)
                        .thisUpdate(NOW)
                        .revoke(POINT.certificate())
                        .build(),
                NOW);
        String newer = a.config.export("admin");
        var b = configured(new Store("b"));

        var replaced = b.apply(newer);
        assertThat(replaced.plan().changes())
                .extracting(ConfigAsCode.Change::section, ConfigAsCode.Change::action)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("crls", Action.ADD),
                        org.assertj.core.groups.Tuple.tuple("crls", Action.REMOVE));
        assertThat(b.export()).isEqualTo(a.export());

        assertThatIllegalArgumentException()
                .as("revocations are never rolled back")
                .isThrownBy(() -> b.apply(older))
                .withMessageStartingWith("crls[0]: older than the stored CRL of its issuer and scope");
        assertThat(b.export()).isEqualTo(a.export());
    }

    @Test
    void aQuotaTakesItsEndpointsSpellingAndMayWaitForOne() throws Exception {
        var b = new Store("b");
        var result = b.apply("""
                version: 1
                endpoints:
                - {external_path: /CCM_Proxy_MutualAuth/1/CCM_System, internal_url: "https://mp.corp.example/CCM_System", site: PS1}
                quotas:
                - {external_path: /ccm_proxy_mutualauth/1/ccm_system, window: 1h, device_requests: 600, egress_bytes: 10GiB}
                - {external_path: /CCM_Proxy_MutualAuth/1/Later, window: 1d, requests: 5}
                """);

        assertThat(b.quotas.list())
                .extracting(Quota::externalPath, Quota::egressBytes)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("/CCM_Proxy_MutualAuth/1/CCM_System", 10L << 30),
                        org.assertj.core.groups.Tuple.tuple("/CCM_Proxy_MutualAuth/1/Later", null));
        assertThat(result.plan().changes())
                .filteredOn(c -> c.item().endsWith("/Later"))
                .singleElement()
                .satisfies(c -> assertThat(c.detail())
                        .endsWith("(no endpoint is published at this path: the quota applies once one is)"));
        assertThat(Set.copyOf(b.config.current().sections())).isEqualTo(Set.copyOf(ConfigDocument.SECTIONS));
    }
}
