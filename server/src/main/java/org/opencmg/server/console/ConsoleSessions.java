package org.opencmg.server.console;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Console sessions of this gateway instance, in memory: a random 256-bit ID (the cookie), the
 * administrator, a CSRF token of its own, an idle and an absolute expiry. A restart logs everyone
 * out, which is fine for an administrator's console.
 */
public final class ConsoleSessions {

    /** The session cookie; the __Host- prefix makes browsers insist on Secure, Path=/ and no Domain. */
    public static final String COOKIE = "__Host-cmg-session";
    public static final Duration IDLE = Duration.ofMinutes(30);
    public static final Duration ABSOLUTE = Duration.ofHours(8);
    private static final int MAX_SESSIONS = 10_000;

    /** One logged-in administrator. {@code flash} is the message for the next page. */
    public static final class Session {
        final String id;
        final String user;
        final String csrfToken;
        final Instant createdAt;
        volatile Instant lastSeen;
        volatile String flash;
        volatile boolean flashFailed;

        Session(String id, String user, String csrfToken, Instant now) {
            this.id = id;
            this.user = user;
            this.csrfToken = csrfToken;
            this.createdAt = now;
            this.lastSeen = now;
        }

        public String id() {
            return id;
        }

        public String user() {
            return user;
        }

        public String csrfToken() {
            return csrfToken;
        }

        public void flash(String message, boolean failed) {
            this.flash = message;
            this.flashFailed = failed;
        }

        /** The pending message (and whether it reports a failure), once. */
        public Optional<Map.Entry<String, Boolean>> takeFlash() {
            String m = flash;
            flash = null;
            return m == null ? Optional.empty() : Optional.of(Map.entry(m, flashFailed));
        }

        @Override
        public String toString() {
            return "Session[" + user + "]"; // never the ID or the token
        }
    }

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Clock clock;

    public ConsoleSessions(Clock clock) {
        this.clock = clock;
    }

    /** A new session for an administrator who just logged in (always a new ID: no fixation). */
    public Session create(String user) {
        Instant now = clock.instant();
        if (sessions.size() >= MAX_SESSIONS) {
            sessions.values().removeIf(s -> expired(s, now));
        }
        var s = new Session(CsrfTokens.random(), user, CsrfTokens.random(), now);
        sessions.put(s.id, s);
        return s;
    }

    /** The live session of that ID, its idle time restarted; empty if unknown or expired (then forgotten). */
    public Optional<Session> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Session s = sessions.get(id);
        if (s == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (expired(s, now)) {
            sessions.remove(id);
            return Optional.empty();
        }
        s.lastSeen = now;
        return Optional.of(s);
    }

    public void end(String id) {
        if (id != null) {
            sessions.remove(id);
        }
    }

    /** The session cookie's value among a request's cookies, or null. */
    public static String cookieValue(jakarta.servlet.http.Cookie[] cookies) {
        if (cookies == null) {
            return null;
        }
        for (var c : cookies) {
            if (COOKIE.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    /** The Set-Cookie header value that gives the browser this session. */
    public static String setCookie(Session s) {
        return COOKIE + "=" + s.id + "; Path=/; Secure; HttpOnly; SameSite=Strict";
    }

    /** The Set-Cookie header value that makes the browser forget its session. */
    public static String clearCookie() {
        return COOKIE + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict";
    }

    private static boolean expired(Session s, Instant now) {
        return !now.isBefore(s.lastSeen.plus(IDLE)) || !now.isBefore(s.createdAt.plus(ABSOLUTE));
    }
}
