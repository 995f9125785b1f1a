package org.opencmg.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ConsoleSessionsTest {

    private final MutableClock clock = new MutableClock();
    private final ConsoleSessions sessions = new ConsoleSessions(clock);

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
        assertThat(ConsoleSessions.setCookie(s)).startsWith("__Host-cmg-session=" + s.id() + ";")
                .contains("; Path=/").contains("; Secure").contains("; HttpOnly").contains("; SameSite=Strict")
                .doesNotContain("Domain");
        assertThat(s.toString()).doesNotContain(s.id()).doesNotContain(s.csrfToken());
    }

    @Test
    void aFlashMessageIsShownOnce() {
        var s = sessions.create("admin");
        s.flash("Saved.", false);
        assertThat(s.takeFlash()).hasValueSatisfying(m -> assertThat(m.getKey()).isEqualTo("Saved."));
        assertThat(s.takeFlash()).isEmpty();
    }
}
