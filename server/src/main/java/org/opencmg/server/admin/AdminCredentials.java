package org.opencmg.server.admin;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.opencmg.server.store.AdminUsers;

/**
 * Checks administrator credentials from an HTTP Basic header against the stored Argon2id hashes.
 * A verified credential is remembered for a few minutes (by a keyed hash, never in clear) so
 * scripted admin calls do not pay the slow hash on every request.
 */
public final class AdminCredentials {

    private static final long REMEMBER_SECONDS = 300;

    private final AdminUsers users;
    private final Clock clock;
    private final byte[] cacheKey = new byte[32];
    private final Map<String, Instant> verified = new ConcurrentHashMap<>();

    public AdminCredentials(AdminUsers users, Clock clock) {
        this.users = users;
        this.clock = clock;
        new SecureRandom().nextBytes(cacheKey);
    }

    /** The authenticated user name, or empty. */
    public Optional<String> checkBasic(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        String user = decoded.substring(0, colon);
        String password = decoded.substring(colon + 1);
        return check(user, password.toCharArray()) ? Optional.of(user) : Optional.empty();
    }

    public boolean check(String user, char[] password) {
        String fingerprint = fingerprint(user, password);
        Instant until = verified.get(fingerprint);
        Instant now = clock.instant();
        if (until != null && now.isBefore(until)) {
            return true;
        }
        boolean ok = users.passwordHash(user).map(h -> PasswordHasher.verify(password, h)).orElse(false);
        if (ok) {
            if (verified.size() > 1000) {
                verified.clear();
            }
            verified.put(fingerprint, now.plusSeconds(REMEMBER_SECONDS));
        }
        return ok;
    }

    /** The administrators' names. */
    public java.util.List<String> names() {
        return users.names();
    }

    /** True if an administrator of that name exists. */
    public boolean exists(String user) {
        return user != null && users.passwordHash(user).isPresent();
    }

    /** Forgets remembered credentials (after a password change). */
    public void forget() {
        verified.clear();
    }

    private String fingerprint(String user, char[] password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
            mac.update(user.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return HexFormat.of().formatHex(mac.doFinal(new String(password).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
