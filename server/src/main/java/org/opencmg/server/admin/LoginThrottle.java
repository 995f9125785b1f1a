package org.opencmg.server.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.opencmg.api.Jdbc;
import org.opencmg.api.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A growing delay after failed logins, per user name and per client address: after n failures in
 * a row the next attempt is accepted only 2^(n-1) seconds (at most {@link #CAP}) after the last
 * one. Nothing sleeps: an attempt that comes too early is answered 429 with Retry-After, without
 * even checking the password. An admitted attempt counts as a failure at once (reserve, then
 * check), so a burst of simultaneous guesses gets one check, not one each; a success resets both
 * counters. Used by the console's sign-in and by HTTP Basic on the API and {@code /metrics}.
 * <p>
 * The counts live in the store (table {@code login_failures}), shared by every instance on it, so
 * that guessing through N instances behind a load balancer gains nothing over guessing through one.
 * An attempt is one short transaction that locks the two rows (user name, address); of simultaneous
 * first attempts, which find no row to lock, the one that inserts them first is admitted and the
 * others, meeting its rows, are refused. Rows are forgotten four caps after the last failure, and at
 * most {@link #MAX_KEYS} are kept (the oldest go first).
 */
public final class LoginThrottle {

    private static final Logger LOG = LoggerFactory.getLogger(LoginThrottle.class);

    public static final Duration CAP = Duration.ofSeconds(64);
    /** Longer user names are refused before they get here: no administrator has one. */
    public static final int MAX_USER_NAME = 128;
    /** Rows kept at most. */
    static final int MAX_KEYS = 10_000;

    private static final Duration FORGET = CAP.multipliedBy(4);

    /**
     * The throttle's answer: {@code admitted} (check the password now; {@code delay} is what the
     * next attempt will have to wait if this one fails) or not ({@code delay} is the Retry-After).
     */
    public record Attempt(boolean admitted, Duration delay) {}

    private record Failures(int count, Instant last) {}

    private final Jdbc jdbc;
    private final Clock clock;
    private final int maxKeys;
    private final Duration cleanUpEvery;
    /** When this instance last cleaned up (epoch ms). */
    private final AtomicLong cleanedAt = new AtomicLong(Long.MIN_VALUE);

    public LoginThrottle(Jdbc jdbc, Clock clock) {
        this(jdbc, clock, MAX_KEYS, Duration.ofSeconds(10));
    }

    LoginThrottle(Jdbc jdbc, Clock clock, int maxKeys, Duration cleanUpEvery) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.maxKeys = maxKeys;
        this.cleanUpEvery = cleanUpEvery;
    }

    /**
     * Admits this attempt and counts it as failed until {@link #succeeded}, or refuses it while the
     * user name or the address must still wait. Atomic across instances: of simultaneous attempts,
     * one is admitted.
     */
    public Attempt attempt(String user, String address) {
        Instant now = clock.instant();
        String u = userKey(user);
        String a = addressKey(address);
        boolean[] inserted = {false};
        Attempt attempt;
        try {
            attempt = jdbc.transaction(tx -> {
                var found = new HashMap<String, Failures>();
                try (var select = Jdbc.prepare(
                                tx,
                                "select throttle_key, failures, last_failure from login_failures "
                                        + "where throttle_key in (?, ?) for update",
                                u,
                                a);
                        var rs = select.executeQuery()) {
                    while (rs.next()) {
                        found.put(rs.getString(1), new Failures(rs.getInt(2), Jdbc.instant(rs, "last_failure")));
                    }
                }
                Failures fu = current(found.get(u), now);
                Failures fa = current(found.get(a), now);
                Duration wait = longer(remaining(fu, now), remaining(fa, now));
                if (!wait.isZero()) {
                    return new Attempt(false, wait);
                }
                fu = new Failures(fu == null ? 1 : fu.count + 1, now);
                fa = new Failures(fa == null ? 1 : fa.count + 1, now);
                inserted[0] = write(tx, u, fu, found.containsKey(u)) | write(tx, a, fa, found.containsKey(a));
                return new Attempt(true, longer(delay(fu.count), delay(fa.count)));
            });
        } catch (StoreException e) {
            if (!duplicateKey(e)) {
                throw e;
            }
            // A simultaneous first attempt (here or on another instance) inserted the rows first: it is the one
            // admitted.
            return new Attempt(false, delay(1));
        }
        if (inserted[0]) {
            forgetOld(now);
        }
        return attempt;
    }

    public void succeeded(String user, String address) {
        jdbc.update("delete from login_failures where throttle_key in (?, ?)", userKey(user), addressKey(address));
    }

    /** Rows held now (bounded by {@link #MAX_KEYS}), for tests. */
    long size() {
        return jdbc.query("select count(*) from login_failures", rs -> rs.getLong(1))
                .getFirst();
    }

    /** A row older than four caps counts as none. */
    private static Failures current(Failures f, Instant now) {
        return f == null || !now.isBefore(f.last.plus(FORGET)) ? null : f;
    }

    /** Updates or inserts a row; true if it inserted one. */
    private static boolean write(Connection tx, String key, Failures f, boolean exists) throws SQLException {
        String sql = exists
                ? "update login_failures set failures = ?, last_failure = ? where throttle_key = ?"
                : "insert into login_failures (failures, last_failure, throttle_key) values (?, ?, ?)";
        try (var ps = Jdbc.prepare(tx, sql, f.count, f.last, key)) {
            ps.executeUpdate();
        }
        return !exists;
    }

    /**
     * After an insert, at most every ten seconds per instance (an HTTP Basic call inserts and deletes
     * its rows each time): rows past four caps go, and beyond {@link #MAX_KEYS} the oldest. Between two
     * clean-ups the table can pass the bound by what ten seconds of admitted attempts insert.
     */
    private void forgetOld(Instant now) {
        long last = cleanedAt.get();
        if (last != Long.MIN_VALUE && now.toEpochMilli() - last < cleanUpEvery.toMillis()
                || !cleanedAt.compareAndSet(last, now.toEpochMilli())) {
            return;
        }
        try {
            jdbc.update("delete from login_failures where last_failure <= ?", now.minus(FORGET));
            long rows = size();
            if (rows > maxKeys) {
                jdbc.update(
                        "delete from login_failures where throttle_key in (select throttle_key from login_failures "
                                + "order by last_failure limit ?)",
                        rows - maxKeys);
            }
        } catch (StoreException e) {
            LOG.debug("login throttle clean-up: {}", e.getMessage()); // the next insert tries again
        }
    }

    /** Unique violation (SQLState 23505 on PostgreSQL and H2) somewhere in the cause chain. */
    private static boolean duplicateKey(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** 1 s, 2 s, 4 s, ... up to the cap. */
    static Duration delay(int failureCount) {
        if (failureCount <= 0) {
            return Duration.ZERO;
        }
        long seconds = failureCount > 7 ? CAP.toSeconds() : Math.min(CAP.toSeconds(), 1L << (failureCount - 1));
        return Duration.ofSeconds(seconds);
    }

    private static Duration remaining(Failures f, Instant now) {
        if (f == null) {
            return Duration.ZERO;
        }
        Instant allowed = f.last.plus(delay(f.count));
        return now.isBefore(allowed) ? Duration.between(now, allowed) : Duration.ZERO;
    }

    private static Duration longer(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** A bounded key whatever the name's length: 128 bits of the SHA-256 of the lower-cased name. */
    static String userKey(String user) {
        String name = user == null ? "" : user.strip().toLowerCase(Locale.ROOT);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return "u:" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String addressKey(String address) {
        String a = address == null ? "" : address;
        return "a:" + (a.length() > 120 ? a.substring(0, 120) : a);
    }
}
