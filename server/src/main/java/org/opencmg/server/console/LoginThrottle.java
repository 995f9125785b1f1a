package org.opencmg.server.console;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A growing delay after failed logins, per user name and per client address: after n failures in
 * a row the next attempt is accepted only 2^(n-1) seconds (at most {@link #CAP}) after the last
 * one. Nothing sleeps: an attempt that comes too early is answered 429 with Retry-After, without
 * even checking the password. An admitted attempt counts as a failure at once (reserve, then
 * check), so a burst of simultaneous guesses gets one check, not one each; a success resets both
 * counters. Used by the console's sign-in and by HTTP Basic on the API and {@code /metrics}.
 */
public final class LoginThrottle {

    public static final Duration CAP = Duration.ofSeconds(64);
    /** Longer user names are refused before they get here: no administrator has one. */
    public static final int MAX_USER_NAME = 128;
    /** Entries kept at most; Caffeine evicts the least useful first, so a flood of new keys does not evict a hot one. */
    static final int MAX_KEYS = 10_000;

    /**
     * The throttle's answer: {@code admitted} (check the password now; {@code delay} is what the
     * next attempt will have to wait if this one fails) or not ({@code delay} is the Retry-After).
     */
    public record Attempt(boolean admitted, Duration delay) {
    }

    private record Failures(int count, Instant last) {
    }

    private final Clock clock;
    // Keys are bounded ("u:" + 32 hex digits, "a:" + an address); an entry unused for four caps is forgotten.
    private final Cache<String, Failures> failures;

    public LoginThrottle(Clock clock) {
        this.clock = clock;
        this.failures = Caffeine.newBuilder()
                .maximumSize(MAX_KEYS)
                .expireAfterWrite(CAP.multipliedBy(4))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .executor(Runnable::run)
                .build();
    }

    /**
     * Admits this attempt and counts it as failed until {@link #succeeded}, or refuses it while the
     * user name or the address must still wait. Atomic: of simultaneous attempts, one is admitted.
     */
    public synchronized Attempt attempt(String user, String address) {
        Instant now = clock.instant();
        String u = userKey(user);
        String a = addressKey(address);
        Failures fu = failures.getIfPresent(u);
        Failures fa = failures.getIfPresent(a);
        Duration wait = longer(remaining(fu, now), remaining(fa, now));
        if (!wait.isZero()) {
            return new Attempt(false, wait);
        }
        fu = new Failures(fu == null ? 1 : fu.count + 1, now);
        fa = new Failures(fa == null ? 1 : fa.count + 1, now);
        failures.put(u, fu);
        failures.put(a, fa);
        return new Attempt(true, longer(delay(fu.count), delay(fa.count)));
    }

    public synchronized void succeeded(String user, String address) {
        failures.invalidate(userKey(user));
        failures.invalidate(addressKey(address));
    }

    /** Keys held now (bounded by {@link #MAX_KEYS}), for tests. */
    long size() {
        failures.cleanUp();
        return failures.estimatedSize();
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
        return "a:" + address;
    }
}
