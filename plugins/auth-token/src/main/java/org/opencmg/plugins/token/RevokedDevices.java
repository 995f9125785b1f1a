package org.opencmg.plugins.token;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.opencmg.api.Refusal;

/**
 * The token devices whose tokens are refused: blocked ones (every token) and recently deleted ones
 * (tokens issued up to the deletion). Kept as an in-memory snapshot, read again from the shared
 * store at most every {@value #RECHECK_MS} ms, so an access token costs no database query and a
 * block made on any instance holds on every instance within a second.
 */
final class RevokedDevices {

    static final long RECHECK_MS = 500;

    /** How long a deletion is remembered: as long as an access token issued before it can live. */
    static final Duration REMEMBER_DELETION = Tokens.ACCESS_LIFETIME.plus(Tokens.SKEW);

    /** By device ID: tokens issued at or before the instant are refused (Instant.MAX: blocked, all of them). */
    private record Snapshot(Map<String, Instant> refusedUpTo, long checkedAtNanos) {}

    private final TokenStore store;
    private final Supplier<Instant> now;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Snapshot snapshot;

    RevokedDevices(TokenStore store, Supplier<Instant> now) {
        this.store = store;
        this.now = now;
    }

    /** The reason a token of this device issued at {@code issuedAt} is refused (device_blocked, device_deleted), or null. */
    Refusal refusal(String deviceId, Instant issuedAt) {
        Instant upTo = fresh().refusedUpTo().get(deviceId);
        if (upTo == null || (issuedAt != null && issuedAt.isAfter(upTo))) {
            return null;
        }
        return upTo.equals(Instant.MAX) ? Refusal.DEVICE_BLOCKED : Refusal.DEVICE_DELETED;
    }

    /** Reads the store now: after a change on this instance, so it holds here at once. */
    void reload() {
        lock.lock();
        try {
            var map = new HashMap<String, Instant>();
            for (var r : store.revocations(now.get().minus(REMEMBER_DELETION))) {
                map.merge(r.deviceId(), r.blocked() ? Instant.MAX : r.at(), (a, b) -> a.isAfter(b) ? a : b);
            }
            snapshot = new Snapshot(Map.copyOf(map), System.nanoTime());
        } finally {
            lock.unlock();
        }
    }

    /** The snapshot if younger than RECHECK_MS; else one thread reads again while the others go on with it. */
    private Snapshot fresh() {
        Snapshot s = snapshot;
        if (s != null && System.nanoTime() - s.checkedAtNanos() < RECHECK_MS * 1_000_000) {
            return s;
        }
        if (s == null) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return s;
        }
        try {
            if (snapshot == s) {
                reload();
            }
            return snapshot;
        } finally {
            lock.unlock();
        }
    }
}
