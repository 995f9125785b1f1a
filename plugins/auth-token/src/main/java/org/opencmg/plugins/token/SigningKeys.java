package org.opencmg.plugins.token;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.opencmg.api.SecretValue;
import org.opencmg.api.Secrets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token signing key: RSA 2048 in the plugin's secrets ("signing-key", PKCS#8 DER), made on
 * first use. Tokens name their key by {@code kid} = base64url SHA-256 of the public key (SPKI) and
 * are verified against every valid version, so a rollover (the previous version stays valid for
 * its overlap) never breaks a live token.
 *
 * <p>The parsed keys are cached. The secret store is asked again at most once a second, and at
 * most every {@value #UNKNOWN_KID_RECHECK_MS} ms when a token names a kid not in the cache (another
 * instance may have just rotated); keys are parsed again only when the set of versions changed.
 */
final class SigningKeys {

    static final String SECRET = "signing-key";
    static final Duration ROLLOVER_OVERLAP = Duration.ofDays(91);
    private static final long RECHECK_MS = 1000;
    static final long UNKNOWN_KID_RECHECK_MS = 250;

    private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);

    /** One version of the key, parsed. */
    record Key(int version, String kid, RSAPrivateCrtKey privateKey, RSAPublicKey publicKey, RSASSAVerifier verifier) {}

    /** The parsed valid versions; {@code current} is null while no key exists yet. */
    private record Snapshot(String versions, Key current, Map<String, Key> byKid, long checkedAtNanos) {}

    private final Secrets secrets;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Snapshot snapshot = new Snapshot("", null, Map.of(), System.nanoTime() - 3_600_000_000_000L);

    SigningKeys(Secrets secrets) {
        this.secrets = secrets;
    }

    /** The active key, made on first use. */
    Key current() {
        Snapshot s = fresh(RECHECK_MS, false);
        if (s.current() != null) {
            return s.current();
        }
        lock.lock();
        try {
            secrets.currentOrCreate(SECRET, SigningKeys::generate);
            return reload().current();
        } finally {
            lock.unlock();
        }
    }

    /** The valid key with this kid, or null. */
    Key find(String kid) {
        if (kid == null) {
            return null;
        }
        Key k = fresh(RECHECK_MS, false).byKid().get(kid);
        if (k == null) {
            k = fresh(UNKNOWN_KID_RECHECK_MS, true).byKid().get(kid);
        }
        return k;
    }

    /** Makes a new active version; the previous one stays valid for {@link #ROLLOVER_OVERLAP}. */
    Key rotate(String actor) {
        lock.lock();
        try {
            secrets.rotate(SECRET, SigningKeys::generate, ROLLOVER_OVERLAP, actor);
            Key k = reload().current();
            LOG.info(
                    "token signing key rotated: new kid {} (v{}); previous versions stay valid for {} days",
                    k.kid(),
                    k.version(),
                    ROLLOVER_OVERLAP.toDays());
            return k;
        } finally {
            lock.unlock();
        }
    }

    /** Every valid version, newest first (for the admin API: kid and version only). */
    List<Key> valid() {
        return fresh(RECHECK_MS, true).byKid().values().stream()
                .sorted((a, b) -> Integer.compare(b.version(), a.version()))
                .toList();
    }

    /**
     * The cached keys if younger than {@code maxAgeMs}, else read again. While one thread reads,
     * others go on with the cached keys unless {@code wait} (or nothing was ever read).
     */
    private Snapshot fresh(long maxAgeMs, boolean wait) {
        Snapshot s = snapshot;
        if (System.nanoTime() - s.checkedAtNanos() < maxAgeMs * 1_000_000) {
            return s;
        }
        if (wait || s.versions().isEmpty()) {
            lock.lock();
        } else if (!lock.tryLock()) {
            return s;
        }
        try {
            s = snapshot;
            if (System.nanoTime() - s.checkedAtNanos() < maxAgeMs * 1_000_000) {
                return s;
            }
            return reload();
        } finally {
            lock.unlock();
        }
    }

    /** Reads the valid versions; parses them only if they differ from the cached ones. Under {@link #lock}. */
    private Snapshot reload() {
        List<SecretValue> values = secrets.valid(SECRET);
        String versions =
                values.stream().map(v -> v.version() + ":" + v.validUntil()).collect(Collectors.joining(","));
        Snapshot old = snapshot;
        Snapshot next;
        if (versions.equals(old.versions())) {
            next = new Snapshot(old.versions(), old.current(), old.byKid(), System.nanoTime());
        } else {
            var byKid = new HashMap<String, Key>();
            Key current = null;
            for (SecretValue v : values) {
                Key k = parse(v);
                byKid.put(k.kid(), k);
                if (v.validUntil() == null) {
                    current = k;
                }
            }
            next = new Snapshot(versions, current, Map.copyOf(byKid), System.nanoTime());
        }
        snapshot = next;
        return next;
    }

    private static Key parse(SecretValue v) {
        byte[] der = v.bytes();
        try {
            var kf = KeyFactory.getInstance("RSA");
            var priv = (RSAPrivateCrtKey) kf.generatePrivate(new PKCS8EncodedKeySpec(der));
            var pub =
                    (RSAPublicKey) kf.generatePublic(new RSAPublicKeySpec(priv.getModulus(), priv.getPublicExponent()));
            return new Key(v.version(), kid(pub), priv, pub, new RSASSAVerifier(pub));
        } catch (GeneralSecurityException | ClassCastException e) {
            // No cause: nothing of the key travels with the exception.
            throw new IllegalStateException("token signing key v" + v.version() + " is not an RSA PKCS#8 key");
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    /** base64url (no padding) of the SHA-256 of the public key's SubjectPublicKeyInfo. */
    static String kid(RSAPublicKey key) {
        try {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] generate() {
        try {
            var gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            return gen.generateKeyPair().getPrivate().getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
