package org.opencmg.server.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Endpoint;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.server.pipeline.PathNormalizer;
import org.opencmg.server.store.ConnectionPointStore;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.SettingsCatalog;
import org.opencmg.server.store.StateRevisions;
import org.opencmg.server.store.Store;

class LiveStateTest {

    private static final Instant NOW = Instant.parse("2025-02-03T04:05:06Z");
    private static final IssuedCertificate ROOT =
            CertificateBuilder.rootCa("Live Root").build();

    @TempDir
    Path dir;

    Store store;
    LiveState live;

    @BeforeEach
    void open() {
        store = Store.open(dir);
        live = liveState(store);
    }

    @AfterEach
    void close() {
        live.close();
        store.close();
    }

    private static PublishedEndpoint endpoint(String externalPath) {
        return new PublishedEndpoint(
                new Endpoint("x", externalPath, "https://internal.example/x", Set.of("GET"), 1024, Set.of("pki")),
                "PS1",
                null,
                null,
                NOW,
                "alice");
    }

    private boolean maps(LiveState state, String path) {
        return state.mappings().match(new PathNormalizer().normalise(path)).isPresent();
    }

    @Test
    void startsWithTheStoredState() {
        assertThat(live.mappings().endpoints()).isEmpty();
        assertThat(live.mappings().revision()).isZero();
        assertThat(live.clientTrust().roots()).isEmpty();
        assertThat(live.clientTrust().revision()).isZero();
        assertThat(live.get(SettingsCatalog.VERIFY_REVOCATION)).contains("true");
        assertThat(live.flag(SettingsCatalog.VERIFY_REVOCATION, false)).isTrue();
        assertThat(live.get("no-such-setting")).isEmpty();
        assertThat(live.fresh(60_000)).isTrue();
    }

    @Test
    void loadsWhatWasStoredBeforeItStarted() {
        store.endpoints.publish(endpoint("/SMS_MP"));

        try (LiveState other = liveState(store)) {
            assertThat(maps(other, "/sms_mp/x")).isTrue();
        }
    }

    @Test
    void keepsItsSnapshotUntilRefreshed() {
        store.endpoints.publish(endpoint("/SMS_MP"));

        assertThat(maps(live, "/SMS_MP")).isFalse();

        live.refresh();

        assertThat(maps(live, "/SMS_MP")).isTrue();
        assertThat(live.mappings().revision())
                .isEqualTo(store.revisions.current().get(StateRevisions.ENDPOINTS));
    }

    @Test
    void refreshPicksUpUnpublish() {
        store.endpoints.publish(endpoint("/SMS_MP"));
        live.refresh();

        store.endpoints.unpublish("/sms_mp");
        live.refresh();

        assertThat(maps(live, "/SMS_MP")).isFalse();
    }

    @Test
    void refreshPicksUpTrustChanges() {
        store.trust.add(ROOT.certificate(), NOW);
        store.trust.addToCtl(ROOT.certificate(), NOW);

        live.refresh();

        assertThat(live.clientTrust().roots()).containsExactly(ROOT.certificate());
        assertThat(live.clientTrust().ctlThumbprints()).hasSize(1);
        assertThat(live.clientTrust().revision()).isEqualTo(2);
    }

    @Test
    void refreshWithoutChangesKeepsTheSameSnapshots() {
        var mappings = live.mappings();
        var trust = live.clientTrust();

        live.refresh();

        assertThat(live.mappings()).isSameAs(mappings);
        assertThat(live.clientTrust()).isSameAs(trust);
    }

    @Test
    void refreshPicksUpSettingsAndTellsListeners() {
        List<Map<String, String>> heard = new CopyOnWriteArrayList<>();
        live.onSettingsChange(heard::add);

        store.settings.set(SettingsCatalog.VERIFY_REVOCATION, "off", "alice", NOW);
        live.refresh();
        live.refresh();

        assertThat(live.get(SettingsCatalog.VERIFY_REVOCATION)).contains("false");
        assertThat(live.flag(SettingsCatalog.VERIFY_REVOCATION, true)).isFalse();
        assertThat(heard)
                .singleElement()
                .satisfies(values -> assertThat(values).containsEntry(SettingsCatalog.VERIFY_REVOCATION, "false"));
    }

    @Test
    void seesChangesMadeByAnotherInstanceOnTheSameDatabase() {
        try (Store otherInstance = Store.open(dir)) {
            otherInstance.endpoints.publish(endpoint("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System"));
            otherInstance.settings.set(SettingsCatalog.ENFORCE_TLS12, "off", "bob", NOW);
            otherInstance.trust.add(ROOT.certificate(), NOW);
        }

        live.refresh();

        assertThat(maps(live, "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request"))
                .isTrue();
        assertThat(live.get(SettingsCatalog.ENFORCE_TLS12)).contains("false");
        assertThat(live.clientTrust().roots()).hasSize(1);
    }

    @Test
    void pollingPicksUpChangesWithoutAnExplicitRefresh() {
        live.startPolling(50);

        store.endpoints.publish(endpoint("/SMS_MP"));

        await().atMost(Duration.ofSeconds(10)).until(() -> maps(live, "/SMS_MP"));
    }

    private static LiveState liveState(Store store) {
        return new LiveState(
                store.revisions,
                store.endpoints,
                store.trust,
                store.settings,
                new ConnectionPointStore(store.jdbc, store.revisions));
    }
}
