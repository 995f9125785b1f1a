package org.opencmg.server.admin;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.opencmg.api.Refusal;
import org.opencmg.server.store.AdminUsers;

/**
 * Checks administrator passwords (the console's sign-in form and HTTP Basic on the API and
 * {@code /metrics}) against the stored Argon2id hashes, behind one shared {@link LoginThrottle}.
 * An unknown user name is hashed against a dummy hash, so it costs what a known one costs and
 * does not reveal which names exist. A verified credential is remembered for a few minutes (by a
 * keyed hash, never in clear) so scripted admin calls do not pay the slow hash on every request.
 */
public final class AdminCredentials {

    private static final long REMEMBER_SECONDS = 300;

    /**
     * The outcome of a password check: {@code user} when accepted; otherwise the status, the
     * reason code and, for 401 and 429, how long the next attempt must wait.
     */
    public record Login(String user, int status, String reason, Duration retryAfter) {

        static Login accepted(String user) {
            return new Login(user, 200, null, Duration.ZERO);
        }

        static Login refused(Refusal refusal, Duration retryAfter) {
            return new Login(null, refusal.status(), refusal.code(), retryAfter);
        }

        public boolean isAccepted() {
            return user != null;
        }

        /** Whole seconds for Retry-After and messages, at least 1. */
        public long retryAfterSeconds() {
            return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        }

        /** A refused Basic login's headers: Retry-After on 429, the challenge on 401 to clients that are not browsers. */
        void setHeaders(HttpServletRequest req, HttpServletResponse resp) {
            if (status == 429) {
                resp.setHeader("Retry-After", Long.toString(retryAfterSeconds()));
            }
            if (status == 401 && !CrossSiteCheck.fromBrowser(req)) {
                // Browsers get no challenge: without a prompt they never cache Basic credentials for this origin.
                resp.setHeader("WWW-Authenticate", "Basic realm=\"OpenCMG admin\", charset=\"UTF-8\"");
            }
        }
    }

    private final AdminUsers users;
    private final Clock clock;
    private final LoginThrottle throttle;
    private final Counter hashChecks;
    private final String dummyHash;
    private final byte[] cacheKey = new byte[32];
    /** Credentials checked lately, by fingerprint: at most 1,000, least recently used out first. */
    private final Cache<String, Instant> verified = Caffeine.newBuilder()
            .maximumSize(1_000)
            .expireAfterWrite(Duration.ofSeconds(REMEMBER_SECONDS))
            .build();

    public AdminCredentials(AdminUsers users, Clock clock, LoginThrottle throttle, MeterRegistry meters) {
        this.users = users;
        this.clock = clock;
        this.throttle = throttle;
        this.hashChecks = Counter.builder("cmg_admin_password_checks")
                .description("Administrator passwords checked against an Argon2id hash (unknown users included)")
                .register(meters);
        new SecureRandom().nextBytes(cacheKey);
        var random = new byte[32];
        new SecureRandom().nextBytes(random);
        this.dummyHash = PasswordHasher.hash(HexFormat.of().formatHex(random).toCharArray());
    }

    /** Checks an HTTP Basic header, throttled per user name and per {@code address} as the console is. */
    public Login checkBasic(String authorization, String address) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Login.refused(Refusal.LOGIN_REQUIRED, Duration.ZERO);
        }
        String decoded;
        try {
            decoded = new String(
                    Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Login.refused(Refusal.MALFORMED_CREDENTIALS, Duration.ZERO);
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return Login.refused(Refusal.MALFORMED_CREDENTIALS, Duration.ZERO);
        }
        return signIn(decoded.substring(0, colon), decoded.substring(colon + 1).toCharArray(), address);
    }

    /**
     * Checks a user name and password: refused without hashing when the name is too long or the
     * throttle says wait (429), whatever the password; otherwise the attempt is reserved first,
     * then checked (a credential verified in the last minutes without a new hash).
     */
    public Login signIn(String user, char[] password, String address) {
        if (user.length() > LoginThrottle.MAX_USER_NAME) {
            return Login.refused(Refusal.USER_NAME_TOO_LONG, Duration.ZERO);
        }
        // The throttle comes first, even for remembered credentials: otherwise the one guess answered
        // at once (not 429) while the administrator is active would reveal the password.
        var attempt = throttle.attempt(user, address);
        if (!attempt.admitted()) {
            return Login.refused(Refusal.LOGIN_THROTTLED, attempt.delay());
        }
        String fingerprint = fingerprint(user, password);
        Instant until = verified.getIfPresent(fingerprint);
        Instant now = clock.instant();
        boolean remembered = until != null && now.isBefore(until);
        if (!remembered && !check(user, password)) {
            return Login.refused(Refusal.BAD_CREDENTIALS, attempt.delay());
        }
        throttle.succeeded(user, address);
        verified.put(fingerprint, now.plusSeconds(REMEMBER_SECONDS));
        return Login.accepted(user);
    }

    /** One Argon2id evaluation whether or not the user exists. */
    private boolean check(String user, char[] password) {
        hashChecks.increment();
        var hash = users.passwordHash(user);
        boolean ok = PasswordHasher.verify(password, hash.orElse(dummyHash));
        return ok && hash.isPresent();
    }

    /** The administrators' names. */
    public List<String> names() {
        return users.names();
    }

    /** True if an administrator of that name exists. */
    public boolean exists(String user) {
        return user != null && users.passwordHash(user).isPresent();
    }

    /** Forgets remembered credentials (after a password change). */
    public void forget() {
        verified.invalidateAll();
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
