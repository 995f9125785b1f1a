package org.opencmg.plugins.content;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.opencmg.api.Refusal;
import org.opencmg.api.SecretValue;
import org.opencmg.api.Secrets;

/**
 * Signed content URLs of the filesystem store: {@code <path>?se=<expiry, epoch s>&kid=<key version>&sig=<base64url
 * HMAC-SHA256(key, path "\n" se "\n" kid)>}. The storage key (32 random bytes) is the plugin secret
 * {@value #SECRET}; its versions are the key IDs. A rotation keeps the previous version valid for
 * the longest URL lifetime plus 5 minutes, so no URL it signed breaks.
 */
final class UrlSigner {

    static final String SECRET = "storage-key";
    static final Duration MAX_URL_LIFETIME = Duration.ofHours(24);
    static final Duration OVERLAP_MARGIN = Duration.ofMinutes(5);

    /** Why a signature is not accepted (the 403 reason). */
    private final Secrets secrets;

    UrlSigner(Secrets secrets) {
        this.secrets = secrets;
    }

    static byte[] newKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    /** The query string of a signed URL for {@code path} (the canonical, percent-encoded path). */
    String sign(String path, Instant expires) {
        SecretValue key = secrets.currentOrCreate(SECRET, UrlSigner::newKey);
        long se = expires.getEpochSecond();
        return "se=" + se + "&kid=" + key.version() + "&sig=" + mac(key.bytes(), path, se, key.version());
    }

    /** Rotates the storage key; returns the new version. The old version stays valid for {@code urlLifetime} + 5 min. */
    SecretValue rotate(Duration urlLifetime, String actor) {
        secrets.currentOrCreate(SECRET, UrlSigner::newKey);
        return secrets.rotate(SECRET, UrlSigner::newKey, urlLifetime.plus(OVERLAP_MARGIN), actor);
    }

    private final ReentrantLock rotation = new ReentrantLock();

    /** Rotates (once, even when called concurrently) if the active key was made before {@code now - maxAge}. */
    void rotateIfOlder(Duration maxAge, Instant now, Duration urlLifetime, Consumer<SecretValue> rotated) {
        SecretValue current = secrets.currentOrCreate(SECRET, UrlSigner::newKey);
        if (current.createdAt().plus(maxAge).isAfter(now)) {
            return;
        }
        rotation.lock();
        try {
            current = secrets.currentOrCreate(SECRET, UrlSigner::newKey);
            if (!current.createdAt().plus(maxAge).isAfter(now)) {
                rotated.accept(secrets.rotate(
                        SECRET, UrlSigner::newKey, urlLifetime.plus(OVERLAP_MARGIN), "plugin:role-content"));
            }
        } finally {
            rotation.unlock();
        }
    }

    List<SecretValue> valid() {
        return secrets.valid(SECRET);
    }

    /** What {@link #mac} makes: base64url (no padding) of 32 bytes. */
    private static final Pattern SIGNATURE = Pattern.compile("[A-Za-z0-9_-]{43}");

    /**
     * Empty if the signature of {@code path} with these query values is good and not expired at
     * {@code now}. The URL's shape is checked first (a signature's form, numbers, an expiry no
     * signed URL can have, a key version this instance holds in memory); only then is the HMAC
     * computed. Nothing here reads the store.
     */
    Optional<Refusal> check(String path, String se, String kid, String sig, Instant now) {
        if (se == null || kid == null || sig == null || !SIGNATURE.matcher(sig).matches()) {
            return Optional.of(Refusal.SIGNATURE_INVALID);
        }
        long expiry;
        int version;
        try {
            expiry = Long.parseLong(se);
            version = Integer.parseInt(kid);
        } catch (NumberFormatException e) {
            return Optional.of(Refusal.SIGNATURE_INVALID);
        }
        if (expiry > now.plus(MAX_URL_LIFETIME).plus(OVERLAP_MARGIN).getEpochSecond()) {
            return Optional.of(Refusal.SIGNATURE_INVALID); // never signed that far ahead
        }
        SecretValue key = secrets.valid(SECRET).stream()
                .filter(v -> v.version() == version)
                .findFirst()
                .orElse(null);
        if (key == null) {
            return Optional.of(Refusal.SIGNATURE_INVALID);
        }
        String expected = mac(key.bytes(), path, expiry, version);
        if (!MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII), sig.getBytes(StandardCharsets.US_ASCII))) {
            return Optional.of(Refusal.SIGNATURE_INVALID);
        }
        // Only a genuine signature tells its expiry: an altered one is invalid whatever its se says.
        if (!Instant.ofEpochSecond(expiry).isAfter(now)) {
            return Optional.of(Refusal.SIGNATURE_EXPIRED);
        }
        return Optional.empty();
    }

    private static String mac(byte[] key, String path, long se, int kid) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] sig = mac.doFinal((path + "\n" + se + "\n" + kid).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
