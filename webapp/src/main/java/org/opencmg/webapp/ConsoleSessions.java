package org.opencmg.webapp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.servlet.http.Cookie;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.opencmg.api.Jdbc;

/**
 * Console sessions, kept in the store (table {@code console_sessions}) so that every instance
 * sharing it knows them: a browser behind a load balancer stays signed in whichever instance
 * answers, or when the one that signed it in dies, and signing out on one instance ends the
 * session on all of them at once. A session is a random 256-bit ID (the cookie), the
 * administrator, a CSRF token of its own, an idle and an absolute expiry.
 * <p>
 * Why a table rather than signed, encrypted cookies: a cookie cannot be taken back, so sign-out and
 * ending an administrator's sessions would need a shared revocation list anyway; a table is that
 * list and the session at once. Only a SHA-256 of the ID is stored (the ID is 256 random bits, so no
 * salt is needed): a copy of the table signs no one in. Each console request costs one lookup by
 * primary key; the idle clock is written back at most once a minute. The instance keeps the
 * session objects it served in a small cache, but never trusts it: the row decides.
 */
public final class ConsoleSessions {

    /** The session cookie; the __Host- prefix makes browsers insist on Secure, Path=/ and no Domain. */
    public static final String COOKIE = "__Host-cmg-session";

    public static final Duration IDLE = Duration.ofMinutes(30);
    public static final Duration ABSOLUTE = Duration.ofHours(8);
    /** The idle clock of a session is written to the store when it is at least this old. */
    static final Duration TOUCH = Duration.ofMinutes(1);

    private static final int MAX_CACHED = 10_000;
    private static final int MAX_FLASH = 2000;

    /** One logged-in administrator. {@code flash} is the message for the next page (kept in the store). */
    public static final class Session {
        final String id;
        final String user;
        final String csrfToken;
        final Instant createdAt;
        private final ConsoleSessions store;
        volatile String flash;
        volatile boolean flashFailed;

        Session(String id, String user, String csrfToken, Instant createdAt, ConsoleSessions store) {
            this.id = id;
            this.user = user;
            this.csrfToken = csrfToken;
            this.createdAt = createdAt;
            this.store = store;
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

        /** A message for the next page, whichever instance serves it. */
        public void flash(String message, boolean failed) {
            String m = message == null || message.length() <= MAX_FLASH ? message : message.substring(0, MAX_FLASH);
            this.flash = m;
            this.flashFailed = failed;
            store.jdbc.update(
                    "update console_sessions set flash = ?, flash_failed = ? where id_hash = ?", m, failed, hash(id));
        }

        /** The pending message (and whether it reports a failure), once. */
        public Optional<Map.Entry<String, Boolean>> takeFlash() {
            String m = flash;
            if (m == null) {
                return Optional.empty();
            }
            flash = null;
            store.jdbc.update("update console_sessions set flash = null where id_hash = ?", hash(id));
            return Optional.of(Map.entry(m, flashFailed));
        }

        @Override
        public String toString() {
            return "Session[" + user + "]"; // never the ID or the token
        }
    }

    private record Row(
            String user, String csrfToken, Instant createdAt, Instant lastSeen, String flash, boolean flashFailed) {}

    private final Jdbc jdbc;
    private final Clock clock;
    /** Session objects this instance served, by ID hash: a page and its flash message share one. */
    private final Cache<String, Session> served;

    public ConsoleSessions(Jdbc jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.served = Caffeine.newBuilder()
                .maximumSize(MAX_CACHED)
                .expireAfterAccess(IDLE)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .build();
    }

    /** A new session for an administrator who just logged in (always a new ID: no fixation). */
    public Session create(String user) {
        Instant now = clock.instant();
        // Sign-ins are rare (and throttled): the moment to forget the sessions that expired.
        jdbc.update(
                "delete from console_sessions where last_seen <= ? or created_at <= ?",
                now.minus(IDLE),
                now.minus(ABSOLUTE));
        var s = new Session(CsrfTokens.random(), user, CsrfTokens.random(), now, this);
        jdbc.update(
                "insert into console_sessions (id_hash, admin_user, csrf_token, created_at, last_seen) values (?, ?, ?, ?, ?)",
                hash(s.id),
                user,
                s.csrfToken,
                now,
                now);
        served.put(hash(s.id), s);
        return s;
    }

    /** The live session of that ID, its idle time restarted; empty if unknown, ended or expired (then forgotten). */
    public Optional<Session> find(String id) {
        if (id == null || !id.matches("[A-Za-z0-9_-]{43}")) {
            return Optional.empty(); // not an ID this class makes: no need to ask the store
        }
        String h = hash(id);
        var rows = jdbc.query(
                "select admin_user, csrf_token, created_at, last_seen, flash, flash_failed from console_sessions "
                        + "where id_hash = ?",
                rs -> new Row(
                        rs.getString(1),
                        rs.getString(2),
                        Jdbc.instant(rs, "created_at"),
                        Jdbc.instant(rs, "last_seen"),
                        rs.getString(5),
                        rs.getBoolean(6)),
                h);
        if (rows.isEmpty()) {
            served.invalidate(h); // ended on another instance
            return Optional.empty();
        }
        Row row = rows.getFirst();
        Instant now = clock.instant();
        if (!now.isBefore(row.lastSeen.plus(IDLE)) || !now.isBefore(row.createdAt.plus(ABSOLUTE))) {
            end(id);
            return Optional.empty();
        }
        if (!now.isBefore(row.lastSeen.plus(TOUCH))) {
            jdbc.update("update console_sessions set last_seen = ? where id_hash = ?", now, h);
        }
        Session s = served.get(h, k -> new Session(id, row.user, row.csrfToken, row.createdAt, this));
        s.flash = row.flash;
        s.flashFailed = row.flashFailed;
        return Optional.of(s);
    }

    /** Ends a session on every instance (sign-out). */
    public void end(String id) {
        if (id != null) {
            String h = hash(id);
            jdbc.update("delete from console_sessions where id_hash = ?", h);
            served.invalidate(h);
        }
    }

    /**
     * Ends every session of an administrator on every instance: whatever changes or removes an
     * administrator's password must call it.
     *
     * @return how many sessions ended
     */
    public int endAll(String user) {
        int n = jdbc.update("delete from console_sessions where admin_user = ?", user);
        served.asMap().values().removeIf(s -> s.user.equals(user));
        return n;
    }

    /** The session cookie's value among a request's cookies, or null. */
    public static String cookieValue(Cookie[] cookies) {
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

    /** What the store keeps of a session ID: its SHA-256, hex. */
    static String hash(String id) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
