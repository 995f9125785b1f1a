package org.opencmg.server.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.Database;
import org.opencmg.server.store.GatewayInstanceStore;

/**
 * Each instance advertises where its admin API answers beside its channel URL (migration V10), so
 * that {@code cmg analyze} reaches every instance from any one; an instance that advertises none
 * (one of before V10) is listed without it.
 */
class MembershipAdminUrlTest {

    @Test
    void everyInstanceSeesTheAdminUrlTheOthersAdvertise(@TempDir Path dir) {
        try (var database =
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4))) {
            var store = new GatewayInstanceStore(new Jdbc(database.dataSource()));
            var a = new Membership(
                    "gw-a",
                    "https://gw-a:10124",
                    "https://gw-a.internal:9443",
                    "1.0",
                    store,
                    Clock.systemUTC(),
                    Duration.ofHours(1),
                    Duration.ofSeconds(30));
            var b = new Membership(
                    "gw-b",
                    "https://gw-b:10124",
                    "1.0",
                    store,
                    Clock.systemUTC(),
                    Duration.ofHours(1),
                    Duration.ofSeconds(30));
            a.beat();
            b.beat();
            assertThat(b.members())
                    .extracting(Membership.Member::instance, Membership.Member::adminUrl)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("gw-a", "https://gw-a.internal:9443"),
                            org.assertj.core.groups.Tuple.tuple("gw-b", null));
        }
    }
}
