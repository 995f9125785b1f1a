package org.opencmg.plugins.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;

/**
 * Mints and checks the site's tokens: JWT RS256 ({@code typ} JWT, {@code kid}), issuer
 * {@code urn:sccm:oauth2:<site id>}, audience {@code urn:sccm:service}, a {@code jti}, {@code iat},
 * {@code nbf}, {@code exp}, and {@code Type}: BulkRegistration, DeviceToken or AccessToken.
 */
final class Tokens {

    static final String AUDIENCE = "urn:sccm:service";
    static final String ISSUER_PREFIX = "urn:sccm:oauth2:";
    static final Duration SKEW = Duration.ofMinutes(2);

    static final Duration BULK_DEFAULT = Duration.ofMinutes(4_320);
    static final Duration BULK_MAX = Duration.ofMinutes(10_080);
    static final Duration DEVICE_LIFETIME = Duration.ofDays(90);
    static final Duration ACCESS_LIFETIME = Duration.ofHours(8);

    static final String SITE_ID_SETTING = "site-id";
    /** The site whose role's token service registered the device: device and access tokens carry it. */
    static final String SITE_CLAIM = "site";

    static final String SITE_ID_SECRET = "site-id";

    /** The token kinds, by their {@code Type} claim. */
    enum Kind {
        BULK("BulkRegistration", "SCCMPreAuthToken", TokenAuthenticator.METHOD_BULK),
        DEVICE("DeviceToken", "SCCMDeviceToken", TokenAuthenticator.METHOD_DEVICE),
        ACCESS("AccessToken", "SCCMAccessToken", TokenAuthenticator.METHOD_ACCESS);

        final String type;
        final String category;
        final String deviceMethod;

        Kind(String type, String category, String deviceMethod) {
            this.type = type;
            this.category = category;
            this.deviceMethod = deviceMethod;
        }

        static Kind of(String type) {
            for (Kind k : values()) {
                if (k.type.equals(type)) {
                    return k;
                }
            }
            return null;
        }
    }

    /** A freshly signed token. The token is shown to its holder once and never stored or logged. */
    record Minted(String id, String token, Instant issuedAt, Instant notBefore, Instant expiresAt, String kid) {
        @Override
        public String toString() {
            return "Minted[" + id + ", until " + expiresAt + ", token hidden]";
        }
    }

    /** What a presented token turned out to be. */
    sealed interface Check {
        /** Signed by one of our valid keys, for our audience, inside its validity. */
        record Valid(Kind kind, JWTClaimsSet claims) implements Check {}

        /** Not a token of this site: another method (Entra ID) may own it. */
        record NotOurs() implements Check {}

        /** Ours (or unreadable) and not acceptable: 401 with {@code reason}; {@code detail} for the log only. */
        record Invalid(Refusal reason, String detail) implements Check {}
    }

    static final Check NOT_OURS = new Check.NotOurs();

    private final PluginContext context;
    private final SigningKeys keys;
    private final String generatedSiteId;

    Tokens(PluginContext context) {
        this.context = context;
        // One key cache for all of the plugin's extensions: a rotation through the admin API is seen at once.
        this.keys = context.shared(SigningKeys.class, () -> new SigningKeys(context.secrets()));
        // Made when the plugin starts, never by a device's first request: the request path stays off the database.
        this.generatedSiteId = new String(
                context.secrets()
                        .currentOrCreate(
                                SITE_ID_SECRET,
                                () -> UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII))
                        .bytes(),
                StandardCharsets.US_ASCII);
    }

    SigningKeys keys() {
        return keys;
    }

    Clock clock() {
        return context.clock();
    }

    /** The configured site id (setting plugins.auth-token.site-id), else a random GUID made once and kept as a secret. */
    String siteId() {
        String configured = context.setting(SITE_ID_SETTING).map(String::strip).orElse("");
        if (!configured.isEmpty()) {
            return configured;
        }
        return generatedSiteId;
    }

    String issuer() {
        return ISSUER_PREFIX + siteId();
    }

    Minted mintBulk(Duration lifetime) {
        if (lifetime.compareTo(Duration.ofMinutes(1)) < 0 || lifetime.compareTo(BULK_MAX) > 0) {
            throw new IllegalArgumentException(
                    "a bulk registration token lives 1 to " + BULK_MAX.toMinutes() + " minutes");
        }
        return mint(Kind.BULK, null, null, null, null, lifetime, null);
    }

    /** @param site the site whose role's token service registered the device (claim "site"), or null */
    Minted mintDevice(String deviceId, String name, String site) {
        return mint(Kind.DEVICE, deviceId, name, null, site, DEVICE_LIFETIME, null);
    }

    /** The site of the published role instance a token service path names, if any. */
    Optional<String> siteOfRole(String roleId) {
        return context.siteOfRole(roleId);
    }

    /**
     * @param auth     how the device proved itself at the exchange: "token" or "entra"
     * @param notAfter the access token never outlives this (the device token's expiry), or null
     */
    Minted mintAccess(String deviceId, String name, String auth, String site, Instant notAfter) {
        return mint(Kind.ACCESS, deviceId, name, auth, site, ACCESS_LIFETIME, notAfter);
    }

    private Minted mint(
            Kind kind, String subject, String name, String auth, String site, Duration lifetime, Instant notAfter) {
        Instant now = context.clock().instant().truncatedTo(ChronoUnit.SECONDS);
        Instant exp = now.plus(lifetime);
        if (notAfter != null && notAfter.isBefore(exp)) {
            exp = notAfter.truncatedTo(ChronoUnit.SECONDS);
        }
        String jti = UUID.randomUUID().toString();
        var claims = new JWTClaimsSet.Builder()
                .issuer(issuer())
                .audience(AUDIENCE)
                .jwtID(jti)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(exp))
                .claim("Type", kind.type)
                .claim("SCCMTokenCategory", kind.category);
        if (subject != null) {
            claims.subject(subject);
        }
        if (name != null) {
            claims.claim("name", name);
        }
        if (auth != null) {
            claims.claim("auth", auth);
        }
        if (site != null) {
            claims.claim(SITE_CLAIM, site);
        }
        SigningKeys.Key key = keys.current();
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .type(JOSEObjectType.JWT)
                        .keyID(key.kid())
                        .build(),
                claims.build());
        try {
            jwt.sign(new RSASSASigner(key.privateKey()));
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a token failed: " + e.getMessage());
        }
        return new Minted(jti, jwt.serialize(), now, now, exp, key.kid());
    }

    /**
     * Checks a presented token: a JWT of another issuer is not ours; then the signature (RS256, a
     * valid key by kid), the audience, the dates with {@link #SKEW}, and the claims its kind needs.
     * Whether a bulk token is blocked is for the caller (it needs the store).
     */
    Check check(String token) {
        JWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = JWTParser.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "not a JWT");
        }
        if (claims == null) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "encrypted or unreadable JWT");
        }
        if (!issuer().equals(claims.getIssuer())) {
            return NOT_OURS;
        }
        if (!(jwt instanceof SignedJWT signed)) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "unsigned JWT");
        }
        JWSHeader header = signed.getHeader();
        if (!JWSAlgorithm.RS256.equals(header.getAlgorithm())) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "alg " + header.getAlgorithm() + ", not RS256");
        }
        if (header.getType() != null && !JOSEObjectType.JWT.equals(header.getType())) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "typ " + header.getType());
        }
        SigningKeys.Key key = keys.find(header.getKeyID());
        if (key == null) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "unknown kid");
        }
        try {
            if (!signed.verify(key.verifier())) {
                return new Check.Invalid(Refusal.INVALID_TOKEN, "bad signature (kid " + key.kid() + ")");
            }
        } catch (JOSEException | IllegalStateException e) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "signature not verifiable: " + e.getMessage());
        }
        List<String> audience = claims.getAudience();
        if (audience == null || !audience.contains(AUDIENCE)) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "wrong audience");
        }
        Instant now = context.clock().instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "no exp");
        }
        if (!now.minus(SKEW).isBefore(exp.toInstant())) {
            return new Check.Invalid(Refusal.TOKEN_EXPIRED, "expired " + exp.toInstant());
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(SKEW).isBefore(nbf.toInstant())) {
            return new Check.Invalid(Refusal.TOKEN_NOT_YET_VALID, "valid from " + nbf.toInstant());
        }
        Kind kind = Kind.of(claimString(claims, "Type"));
        if (kind == null) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "unknown Type");
        }
        if (claims.getJWTID() == null || claims.getJWTID().isBlank()) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "no jti");
        }
        if (kind != Kind.BULK
                && (claims.getSubject() == null || claims.getSubject().isBlank())) {
            return new Check.Invalid(Refusal.INVALID_TOKEN, "no sub");
        }
        return new Check.Valid(kind, claims);
    }

    static String claimString(JWTClaimsSet claims, String name) {
        Object v = claims.getClaim(name);
        return v instanceof String s ? s : null;
    }
}
