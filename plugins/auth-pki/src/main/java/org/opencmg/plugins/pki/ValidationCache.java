package org.opencmg.plugins.pki;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.opencmg.api.AuthOutcome;
import org.opencmg.pki.Thumbprints;

/**
 * Remembers recent validation outcomes so a device's every request does not rerun path
 * validation. An entry lives at most {@code ttl} (so a new CRL or CTL change applies within it),
 * never past the leaf's expiry, and the key includes the trust revision and revocation setting.
 *
 * <p>Both caches are bounded (least recently and frequently used entries go first, never all at
 * once). Refusals sit in their own small cache: anyone can present random self-signed chains, and
 * those must not push the accepted devices out.
 */
final class ValidationCache {

    /** Refusals are cheap to redo for a small set of repeat offenders; this many are remembered. */
    static final int MAX_REFUSALS = 1_000;

    private record Entry(AuthOutcome outcome, Instant until) {}

    private final Duration ttl;
    private final Cache<String, Entry> accepted;
    private final Cache<String, Entry> refused;

    ValidationCache(Duration ttl, int maxEntries) {
        this.ttl = ttl;
        this.accepted = bounded(ttl, maxEntries);
        this.refused = bounded(ttl, Math.min(maxEntries, MAX_REFUSALS));
    }

    private static Cache<String, Entry> bounded(Duration ttl, int maxEntries) {
        // Caffeine's own clock only frees memory; whether an entry still holds is decided by its until.
        return Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .expireAfterWrite(ttl)
                .build();
    }

    static String key(List<X509Certificate> chain, long trustRevision, boolean revocation) {
        var sb = new StringBuilder().append(trustRevision).append(revocation ? ":r" : ":n");
        for (X509Certificate c : chain) {
            sb.append(':').append(Thumbprints.sha256(c));
        }
        return sb.toString();
    }

    AuthOutcome get(String key, Instant now) {
        Entry e = accepted.getIfPresent(key);
        if (e == null) {
            e = refused.getIfPresent(key);
        }
        return e != null && now.isBefore(e.until()) ? e.outcome() : null;
    }

    void put(String key, AuthOutcome outcome, Instant now, Instant leafNotAfter) {
        Instant until = now.plus(ttl);
        var entry = new Entry(outcome, until.isAfter(leafNotAfter) ? leafNotAfter : until);
        (outcome instanceof AuthOutcome.Authenticated ? accepted : refused).put(key, entry);
    }

    /** Runs pending evictions now (Caffeine does them lazily). */
    void cleanUp() {
        accepted.cleanUp();
        refused.cleanUp();
    }
}
