package org.opencmg.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Device;
import org.opencmg.api.Endpoint;
import org.opencmg.server.pipeline.QuotaStep;

/** Budgets in the store, and the endpoint-wide counts two instances share through it. */
class QuotaStoreTest {

    static final String PATH = "/CCM_Proxy_MutualAuth/1/CCM_System";
    static final Instant NOW = Instant.parse("2026-12-01T10:00:20Z");
    static final PublishedEndpoint MP = new PublishedEndpoint(
            new Endpoint("ccm_system", PATH, "https://mp/CCM_System", Set.of("GET"), 1024, Set.of("pki")),
            "PS1",
            null,
            null,
            NOW,
            "test");

    @TempDir
    Path dir;

    Store store;
    QuotaStore quotas;
    final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    @BeforeEach
    void open() {
        store = Store.open(dir);
        quotas = new QuotaStore(store.jdbc, store.revisions);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static Quota quota(long requests) {
        return new Quota(PATH, Duration.ofHours(1), requests, null, null, 1_000_000L, 75, NOW, "alice");
    }

    @Test
    void aQuotaIsStoredReplacedFoundCaseInsensitivelyAndRemovedAndEachChangeMovesTheRevision() {
        long before = store.revisions.current().get(QuotaStore.TOPIC);
        quotas.put(quota(10));
        quotas.put(quota(20));
        assertThat(quotas.list()).containsExactly(quota(20));
        assertThat(quotas.find(PATH.toUpperCase())).contains(quota(20));
        assertThat(quotas.remove(PATH.toLowerCase())).isTrue();
        assertThat(quotas.remove(PATH)).isFalse();
        assertThat(quotas.list()).isEmpty();
        assertThat(store.revisions.current().get(QuotaStore.TOPIC)).isEqualTo(before + 3);
    }

    @Test
    void twoInstancesShareTheEndpointsBudgetThroughTheStoreAndARestartGoesOnFromItsCounts() {
        quotas.put(quota(10));
        var gw1 = new QuotaStep(clock, new SimpleMeterRegistry());
        var gw2 = new QuotaStep(clock, new SimpleMeterRegistry());
        gw1.apply(quotas.list());
        gw2.apply(quotas.list());
        var device = new Device("AA", "pki", "CN=a", Map.of());
        for (int i = 0; i < 6; i++) {
            gw1.admit(MP, device);
        }
        gw1.othersUse(quotas.share("gw-1", gw1.localUse(), NOW));
        gw2.othersUse(quotas.share("gw-2", gw2.localUse(), NOW));
        for (int i = 0; i < 4; i++) {
            gw2.admit(MP, device);
        }
        assertThatThrownBy(() -> gw2.admit(MP, device)).hasMessage("429 quota_exceeded");
        gw2.othersUse(quotas.share("gw-2", gw2.localUse(), NOW));
        gw1.othersUse(quotas.share("gw-1", gw1.localUse(), NOW));
        assertThatThrownBy(() -> gw1.admit(MP, device)).hasMessage("429 quota_exceeded");
        assertThat(gw1.use(PATH).orElseThrow().requests()).isEqualTo(10);

        var restarted = new QuotaStep(clock, new SimpleMeterRegistry());
        restarted.apply(quotas.list());
        restarted.resume(quotas.own("gw-1", NOW));
        restarted.othersUse(quotas.share("gw-1", restarted.localUse(), NOW));
        assertThat(restarted.use(PATH).orElseThrow().requests()).isEqualTo(10);
        assertThatThrownBy(() -> restarted.admit(MP, device)).hasMessage("429 quota_exceeded");

        // Windows that ended are forgotten: neither shared nor kept, whichever instance wrote them.
        Instant later = NOW.plus(Duration.ofHours(2));
        assertThat(quotas.share("gw-1", java.util.List.of(), later)).isEmpty();
        assertThat(quotas.own("gw-1", NOW)).isEmpty();
        assertThat(quotas.own("gw-2", NOW))
                .as("an instance gone for good leaves nothing behind")
                .isEmpty();
    }
}
