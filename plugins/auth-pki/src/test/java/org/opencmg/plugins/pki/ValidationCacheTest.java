package org.opencmg.plugins.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Device;

/** The validation cache is bounded and never emptied wholesale; refused chains cannot push valid devices out. */
class ValidationCacheTest {

    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final Instant LEAF_NOT_AFTER = NOW.plus(Duration.ofDays(365));

    private static AuthOutcome valid(int i) {
        return new AuthOutcome.Authenticated(new Device("thumb" + i, "pki", "CN=device" + i, Map.of()));
    }

    @Test
    void aFloodOfRefusedChainsDoesNotEvictAValidDevice() {
        var cache = new ValidationCache(Duration.ofSeconds(60), 10_000);
        cache.put("valid", valid(0), NOW, LEAF_NOT_AFTER);
        for (int i = 0; i < 50_000; i++) {
            cache.put(
                    "random-self-signed-" + i,
                    AuthOutcome.refused(org.opencmg.api.Refusal.UNTRUSTED_ROOT, ""),
                    NOW,
                    LEAF_NOT_AFTER);
        }
        assertThat(cache.get("valid", NOW)).isEqualTo(valid(0));
    }

    @Test
    void refusalsAreStillRememberedForAWhile() {
        var cache = new ValidationCache(Duration.ofSeconds(60), 10_000);
        AuthOutcome refused = AuthOutcome.refused(org.opencmg.api.Refusal.UNTRUSTED_ROOT, "");
        cache.put("bad", refused, NOW, LEAF_NOT_AFTER);
        assertThat(cache.get("bad", NOW.plusSeconds(59))).isEqualTo(refused);
        assertThat(cache.get("bad", NOW.plusSeconds(60))).isNull();
    }

    @Test
    void overTheBoundOnlySomeEntriesGoNeverAll() {
        var cache = new ValidationCache(Duration.ofSeconds(60), 1_000);
        for (int i = 0; i <= 1_000; i++) {
            cache.put("device-" + i, valid(i), NOW, LEAF_NOT_AFTER);
        }
        cache.cleanUp();
        long kept = java.util.stream.IntStream.rangeClosed(0, 1_000)
                .filter(i -> cache.get("device-" + i, NOW) != null)
                .count();
        assertThat(kept).isEqualTo(1_000);
    }

    @Test
    void anEntryLivesNoLongerThanTheTtlNorPastTheLeafsExpiry() {
        var cache = new ValidationCache(Duration.ofSeconds(60), 100);
        cache.put("a", valid(1), NOW, LEAF_NOT_AFTER);
        cache.put("b", valid(2), NOW, NOW.plusSeconds(10));
        assertThat(cache.get("a", NOW.plusSeconds(59))).isNotNull();
        assertThat(cache.get("a", NOW.plusSeconds(60))).isNull();
        assertThat(cache.get("b", NOW.plusSeconds(9))).isNotNull();
        assertThat(cache.get("b", NOW.plusSeconds(10))).isNull();
    }
}
