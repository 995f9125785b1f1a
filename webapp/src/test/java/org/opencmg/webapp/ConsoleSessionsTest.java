package org.opencmg.webapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.Database;
import org.opencmg.testkit.PluginTestContext.MutableClock;

/** Console sessions in a real H2 store; two {@link ConsoleSessions} on one store are two instances sharing it. */
class ConsoleSessionsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @TempDir
    Path dir;

    private Database database;
    private Jdbc jdbc;
    private ConsoleSessions sessions;

    @BeforeEach
    void open() {
        database =
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4));
        jdbc = new Jdbc(database.dataSource());
        sessions = new ConsoleSessions(jdbc, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void aSessionIdIsA256BitRandomValueAndEachLoginGetsANewOne() {
        var a = sessions.create("admin");
        var b = sessions.create("admin");
        assertThat(Base64.getUrlDecoder().decode(a.id())).hasSize(32);
        assertThat(a.id()).isNotEqualTo(b.id());
        assertThat(a.csrfToken()).isNotEqualTo(a.id()).isNotEqualTo(b.csrfToken());
        assertThat(Base64.getUrlDecoder().decode(a.csrfToken())).hasSize(32);
    }

    @Test
    void aSessionEndsAfterThirtyIdleMinutes() {
        var s = sessions.create("admin");
        clock.advance(Duration.ofMinutes(29));
        assertThat(sessions.find(s.id())).isPresent();
        clock.advance(Duration.ofMinutes(29)); // used a minute ago: still alive
        assertThat(sessions.find(s.id())).isPresent();
        clock.advance(Duration.ofMinutes(30));
        assertThat(sessions.find(s.id())).isEmpty();
    }

    @Test
    void aSessionEndsAfterEightHoursHoweverBusy() {
        var s = sessions.create("admin");
        for (int i = 0; i < 8 * 6 - 1; i++) {
            clock.advance(Duration.ofMinutes(10));
            assertThat(sessions.find(s.id())).as("after %d min", (i + 1) * 10).isPresent();
        }
        clock.advance(Duration.ofMinutes(10));
        assertThat(sessions.find(s.id())).isEmpty();
    }

    @Test
    void logoutEndsTheSessionAndUnknownIdsFindNothing() {
        var s = sessions.create("admin");
        sessions.end(s.id());
        assertThat(sessions.find(s.id())).isEmpty();
        assertThat(sessions.find(null)).isEmpty();
        assertThat(sessions.find("not-a-session")).isEmpty();
    }

    @Test
    void theCookieIsSecureHttpOnlySameSiteStrictAndHostOnly() {
        var s = sessions.create("admin");
        assertThat(ConsoleSessions.setCookie(s))
                .startsWith("__Host-cmg-session=" + s.id() + ";")
                .contains("; Path=/")
                .contains("; Secure")
                .contains("; HttpOnly")
                .contains("; SameSite=Strict")
                .doesNotContain("Domain");
        assertThat(s.toString()).doesNotContain(s.id()).doesNotContain(s.csrfToken());
    }

    @Test
    void anotherInstanceOnTheStoreKnowsTheSessionAndASignOutThereEndsItHere() {
        var other = new ConsoleSessions(jdbc, clock);
        var s = sessions.create("admin");
        var there = other.find(s.id()).orElseThrow();
        assertThat(there.user()).isEqualTo("admin");
        assertThat(there.csrfToken())
                .as("the same CSRF token, so a form made here is accepted there")
                .isEqualTo(s.csrfToken());
        clock.advance(Duration.ofMinutes(20));
        assertThat(other.find(s.id())).isPresent();
        clock.advance(Duration.ofMinutes(20)); // idle 40 min here, but used there 20 min ago
        assertThat(sessions.find(s.id())).as("the idle clock is shared").isPresent();
        other.end(s.id());
        assertThat(sessions.find(s.id())).isEmpty();
    }

    @Test
    void endingAnAdministratorsSessionsEndsThemEverywhereAndOnlyHis() {
        var other = new ConsoleSessions(jdbc, clock);
        var a1 = sessions.create("alice");
        var a2 = other.create("alice");
        var b = sessions.create("bob");
        assertThat(other.endAll("alice")).isEqualTo(2);
        assertThat(sessions.find(a1.id())).isEmpty();
        assertThat(other.find(a2.id())).isEmpty();
        assertThat(other.find(b.id())).isPresent();
    }

    @Test
    void theStoreKeepsAHashOfTheSessionIdNeverTheId() {
        var s = sessions.create("admin");
        var stored = jdbc.query("select id_hash from console_sessions", rs -> rs.getString(1));
        assertThat(stored).containsExactly(ConsoleSessions.hash(s.id())).doesNotContain(s.id());
        assertThat(stored.getFirst()).hasSize(64);
    }

    @Test
    void aFlashMessageSetOnOneInstanceIsShownOnceOnAnother() {
        var other = new ConsoleSessions(jdbc, clock);
        var s = sessions.create("admin");
        sessions.find(s.id()).orElseThrow().flash("Published.", false);
        assertThat(other.find(s.id()).orElseThrow().takeFlash())
                .hasValueSatisfying(m -> assertThat(m.getKey()).isEqualTo("Published."));
        assertThat(sessions.find(s.id()).orElseThrow().takeFlash()).isEmpty();
    }

    @Test
    void aFlashMessageIsShownOnce() {
        var s = sessions.create("admin");
        s.flash("Saved.", false);
        assertThat(s.takeFlash()).hasValueSatisfying(m -> assertThat(m.getKey()).isEqualTo("Saved."));
        assertThat(s.takeFlash()).isEmpty();
    }
}
