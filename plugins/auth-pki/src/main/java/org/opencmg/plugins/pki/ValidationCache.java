package org.opencmg.plugins.pki;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.opencmg.api.AuthOutcome;
import org.opencmg.pki.Thumbprints;

/**
 * Remembers recent validation outcomes so a device's every request does not rerun path
 * validation. An entry lives at most {@code ttl} (so a new CRL or CTL change applies within it),
 * never past the leaf's expiry, and the key includes the trust revision and revocation setting.
 */
final class ValidationCache {

    private record Entry(AuthOutcome outcome, Instant until) {
    }

    private final Duration ttl;
    private final int maxEntries;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    ValidationCache(Duration ttl, int maxEntries) {
        this.ttl = ttl;
        this.maxEntries = maxEntries;
    }

    static String key(List<X509Certificate> chain, long trustRevision, boolean revocation) {
        var sb = new StringBuilder().append(trustRevision).append(revocation ? ":r" : ":n");
        for (X509Certificate c : chain) {
            sb.append(':').append(Thumbprints.sha256(c));
        }
        return sb.toString();
    }

    AuthOutcome get(String key, Instant now) {
        Entry e = entries.get(key);
        return e != null && now.isBefore(e.until()) ? e.outcome() : null;
    }

    void put(String key, AuthOutcome outcome, Instant now, Instant leafNotAfter) {
        if (entries.size() >= maxEntries) {
            entries.clear();
        }
        Instant until = now.plus(ttl);
        entries.put(key, new Entry(outcome, until.isAfter(leafNotAfter) ? leafNotAfter : until));
    }
}
