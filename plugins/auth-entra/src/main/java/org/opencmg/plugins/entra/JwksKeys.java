package org.opencmg.plugins.entra;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.ResourceRetriever;
import java.io.IOException;
import java.net.URL;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's signing keys, fetched from its JWKS URL on first use and kept for {@link #TTL}.
 * A token whose key is not in the cached set makes it fetch again, but no fetch of any kind
 * happens within {@link #MIN_INTERVAL} of the previous attempt, so a stream of tokens with
 * invented key IDs costs the key server one request a minute. One fetch at a time; the others wait
 * for it. When a refresh fails the keys already known stay in use (logged); with none known yet,
 * the source fails ({@link KeySourceException}, answered 503 by the authenticator).
 *
 * <p>Nimbus's own JWKSourceBuilder caches and rate-limits too, but its limiter allows two fetches
 * per interval and runs on the system clock; this one keeps to one a minute on the gateway's clock.
 */
final class JwksKeys implements JWKSource<SecurityContext> {

    private static final Logger LOG = LoggerFactory.getLogger(JwksKeys.class);

    static final Duration TTL = Duration.ofHours(1);
    static final Duration MIN_INTERVAL = Duration.ofMinutes(1);
    static final int CONNECT_TIMEOUT_MS = 5_000;
    static final int READ_TIMEOUT_MS = 5_000;
    static final int SIZE_LIMIT = 512 * 1024;

    private final URL url;
    private final ResourceRetriever retriever;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();

    private volatile JWKSet keys; // public keys only
    private volatile Instant fetchedAt;
    private Instant lastAttempt; // guarded by lock

    JwksKeys(URL url, SSLSocketFactory tls, Clock clock) {
        this(url, new DefaultResourceRetriever(CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS, SIZE_LIMIT, true, tls), clock);
    }

    JwksKeys(URL url, ResourceRetriever retriever, Clock clock) {
        this.url = url;
        this.retriever = retriever;
        this.clock = clock;
    }

    URL url() {
        return url;
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
        JWKSet set = keys;
        if (set == null || !clock.instant().isBefore(fetchedAt.plus(TTL))) {
            set = refresh(set);
        }
        List<JWK> found = selector.select(set);
        if (found.isEmpty()) {
            JWKSet newer = refresh(set); // an unknown key: perhaps a new one was published
            if (newer != set) {
                found = selector.select(newer);
            }
        }
        return found;
    }

    /**
     * Fetches the key set unless another thread did since the caller read {@code seen}, or the
     * last attempt was under a minute ago. Returns the newest set known (possibly {@code seen}).
     */
    private JWKSet refresh(JWKSet seen) throws KeySourceException {
        lock.lock();
        try {
            JWKSet current = keys;
            if (current != seen && current != null) {
                return current;
            }
            Instant now = clock.instant();
            if (lastAttempt != null && now.isBefore(lastAttempt.plus(MIN_INTERVAL))) {
                if (current == null) {
                    throw new KeySourceException("the JWKS " + url + " could not be fetched; next attempt at "
                            + lastAttempt.plus(MIN_INTERVAL));
                }
                return current;
            }
            lastAttempt = now;
            try {
                JWKSet fetched = JWKSet.parse(retriever.retrieveResource(url).getContent())
                        .toPublicJWKSet();
                keys = fetched;
                fetchedAt = now;
                LOG.info(
                        "auth-entra: fetched JWKS {} ({} keys)",
                        url,
                        fetched.getKeys().size());
                return fetched;
            } catch (IOException | ParseException | RuntimeException e) {
                LOG.warn(
                        "auth-entra: fetching JWKS {} failed{}: {}",
                        url,
                        current == null ? "" : " (keeping the keys fetched at " + fetchedAt + ")",
                        e.toString());
                if (current == null) {
                    throw new KeySourceException("the JWKS " + url + " could not be fetched: " + e.getMessage(), e);
                }
                return current;
            }
        } finally {
            lock.unlock();
        }
    }
}
