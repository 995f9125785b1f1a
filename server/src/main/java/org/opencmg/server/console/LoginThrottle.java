package org.opencmg.server.console;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A growing delay after failed logins, per user name and per client address: after n failures in
 * a row the next attempt is accepted only 2^(n-1) seconds (at most {@link #CAP}) after the last
 * one. Nothing sleeps: an attempt that comes too early is answered 429 with Retry-After, without
 * even checking the password. A success resets both counters.
 */
public final class LoginThrottle {

    public static final Duration CAP = Duration.ofSeconds(64);
    private static final int MAX_KEYS = 100_000;

    private record Failures(int count, Instant last) {
    }

    private final Map<String, Failures> failures = new ConcurrentHashMap<>();
    private final Clock clock;

    public LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long this user name from this address must still wait (zero: may try now). */
    public Duration wait(String user, String address) {
        Instant now = clock.instant();
        Duration a = remaining(failures.get(userKey(user)), now);
        Duration b = remaining(failures.get(addressKey(address)), now);
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Records a failed attempt; returns the delay the next attempt will have to respect. */
    public Duration failed(String user, String address) {
        Instant now = clock.instant();
        if (failures.size() >= MAX_KEYS) {
            failures.values().removeIf(f -> remaining(f, now).isZero() && f.last.plus(CAP.multipliedBy(4)).isBefore(now));
        }
        Failures u = failures.merge(userKey(user), new Failures(1, now), (o, n) -> new Failures(o.count + 1, now));
        Failures a = failures.merge(addressKey(address), new Failures(1, now), (o, n) -> new Failures(o.count + 1, now));
        Duration du = delay(u.count);
        Duration da = delay(a.count);
        return du.compareTo(da) >= 0 ? du : da;
    }

    public void succeeded(String user, String address) {
        failures.remove(userKey(user));
        failures.remove(addressKey(address));
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

    private static String userKey(String user) {
        return "u:" + (user == null ? "" : user.strip().toLowerCase(java.util.Locale.ROOT));
    }

    private static String addressKey(String address) {
        return "a:" + address;
    }
}
