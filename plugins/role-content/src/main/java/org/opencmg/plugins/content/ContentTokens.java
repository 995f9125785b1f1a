package org.opencmg.plugins.content;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.opencmg.api.Refusal;
import org.opencmg.api.SecretValue;
import org.opencmg.api.Secrets;

/**
 * Content access tokens: HS256 JWTs ({@code iss} {@value #ISSUER}, {@code aud} {@value #AUDIENCE},
 * {@code pid} the package, {@code exp}) signed with the plugin secret {@value #SECRET}. Issued by
 * the admin API ({@code POST /api/content/<package>/token}); a device presents one as
 * {@code Authorization: Bearer} at getcontentxmlsecure.
 */
final class ContentTokens {

    static final String SECRET = "token-key";
    static final String ISSUER = "urn:opencmg:content";
    static final String AUDIENCE = "opencmg-content";

    /** A token checked: the package it grants, or the reason it is refused. */
    record Check(String packageId, Refusal reason, String detail) {
        boolean ok() {
            return reason == null;
        }
    }

    private final Secrets secrets;

    ContentTokens(Secrets secrets) {
        this.secrets = secrets;
    }

    String issue(String packageId, Instant now, Duration lifetime) {
        SecretValue key = secrets.currentOrCreate(SECRET, UrlSigner::newKey);
        var claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .claim("pid", packageId)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now.minusSeconds(60)))
                .expirationTime(Date.from(now.plus(lifetime)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256)
                        .type(JOSEObjectType.JWT)
                        .keyID(Integer.toString(key.version()))
                        .build(),
                claims);
        try {
            jwt.sign(new MACSigner(key.bytes()));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    Check check(String token, Instant now) {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Check(null, Refusal.CONTENT_TOKEN_INVALID, "not a JWT");
        }
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !ISSUER.equals(claims.getIssuer())) {
            return new Check(null, Refusal.CONTENT_TOKEN_INVALID, "not a content access token (alg or issuer)");
        }
        List<SecretValue> keys = secrets.valid(SECRET);
        boolean verified = false;
        for (SecretValue k : keys) {
            if (jwt.getHeader().getKeyID() != null
                    && !jwt.getHeader().getKeyID().equals(Integer.toString(k.version()))) {
                continue;
            }
            try {
                verified = jwt.verify(new MACVerifier(k.bytes()));
            } catch (JOSEException e) {
                verified = false;
            }
            if (verified) {
                break;
            }
        }
        if (!verified) {
            return new Check(
                    null,
                    Refusal.CONTENT_TOKEN_INVALID,
                    "bad signature or unknown key " + jwt.getHeader().getKeyID());
        }
        if (claims.getAudience() == null || !claims.getAudience().contains(AUDIENCE)) {
            return new Check(null, Refusal.CONTENT_TOKEN_INVALID, "wrong audience");
        }
        if (claims.getExpirationTime() == null
                || !claims.getExpirationTime().toInstant().isAfter(now)) {
            return new Check(null, Refusal.CONTENT_TOKEN_EXPIRED, "expired at " + claims.getExpirationTime());
        }
        if (claims.getNotBeforeTime() != null
                && claims.getNotBeforeTime().toInstant().isAfter(now)) {
            return new Check(null, Refusal.CONTENT_TOKEN_INVALID, "not yet valid");
        }
        Object pid = claims.getClaim("pid");
        if (!(pid instanceof String p) || p.isEmpty()) {
            return new Check(null, Refusal.CONTENT_TOKEN_INVALID, "no pid");
        }
        return new Check(p, null, "jti " + claims.getJWTID());
    }
}
