package org.opencmg.server.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.channel.GatewayInstances;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.Database;
import org.opencmg.server.store.GatewayInstanceStore;
import org.opencmg.testkit.PluginTestContext.MutableClock;

/** Instances sharing a store (a real H2 file) see each other up, stopped when they leave, gone when silent. */
class MembershipTest {

    static final Duration HEARTBEAT = Duration.ofSeconds(10);
    static final Duration EXPIRY = Duration.ofSeconds(30);

    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    Database database;
    GatewayInstanceStore store;

    @BeforeEach
    void open(@TempDir Path dir) {
        database =
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4));
        store = new GatewayInstanceStore(new Jdbc(database.dataSource()));
    }

    @AfterEach
    void close() {
        database.close();
    }

    Membership member(String name) {
        // A heartbeat far longer than the test: only the explicit beat() calls below run.
        return new Membership(name, "https://" + name + ":10124", "1.0", store, clock, Duration.ofHours(1), EXPIRY);
    }

    @Test
    void instancesSeeEachOtherUpThenGoneWhenSilentAndStoppedWhenTheyLeave() {
        var a = member("gw-a");
        var b = member("gw-b");
        var c = member("gw-c");
        var heard = new ArrayList<GatewayInstances>();
        a.onChange(heard::add);
        a.start(new SimpleMeterRegistry());
        b.beat();
        c.beat();
        a.beat();
        assertThat(states(a)).containsExactly("gw-a UP", "gw-b UP", "gw-c UP");
        assertThat(heard.getLast().instances())
                .extracting(GatewayInstances.Instance::channelUrl)
                .containsExactly("https://gw-a:10124", "https://gw-b:10124", "https://gw-c:10124");

        // b is killed: it writes nothing more. Within the expiry it is still up; after it, gone.
        clock.advance(EXPIRY);
        a.beat();
        c.beat();
        assertThat(states(a)).contains("gw-b UP");
        clock.advance(HEARTBEAT);
        a.beat();
        c.leave(); // c drains and exits cleanly
        a.beat();
        assertThat(states(a)).containsExactly("gw-a UP", "gw-b GONE", "gw-c STOPPED");
        assertThat(heard.getLast().instances())
                .extracting(GatewayInstances.Instance::name)
                .containsExactly("gw-a");

        // b restarts under its name: up again, and listed again.
        b.beat();
        a.beat();
        assertThat(states(a)).containsExactly("gw-a UP", "gw-b UP", "gw-c STOPPED");
        assertThat(heard.getLast().instances())
                .extracting(GatewayInstances.Instance::name)
                .containsExactly("gw-a", "gw-b");
        int changes = heard.size();
        a.beat();
        assertThat(heard).as("no change, no news").hasSize(changes);
    }

    @Test
    void rowsNotHeardOfForADayAreForgotten() {
        var a = member("gw-a");
        member("gw-old").beat();
        clock.advance(Membership.FORGET_AFTER.plusSeconds(1));
        a.beat();
        assertThat(states(a)).containsExactly("gw-a UP");
    }

    @Test
    void theGaugeCountsInstancesByState() {
        var meters = new SimpleMeterRegistry();
        var a = member("gw-a");
        a.start(meters);
        member("gw-b").beat();
        clock.advance(EXPIRY.plusSeconds(1));
        a.beat();
        assertThat(meters.get("cmg_gateway_instances")
                        .tag("state", "gone")
                        .gauge()
                        .value())
                .isEqualTo(1.0);
        assertThat(meters.get("cmg_gateway_instances")
                        .tag("state", "up")
                        .gauge()
                        .value())
                .isEqualTo(1.0);
        assertThat(meters.get("cmg_gateway_instances")
                        .tag("state", "stopped")
                        .gauge()
                        .value())
                .isZero();
    }

    private static List<String> states(Membership m) {
        return m.members().stream().map(i -> i.instance() + " " + i.state()).toList();
    }
}
