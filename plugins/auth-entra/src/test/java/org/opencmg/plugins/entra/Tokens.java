package org.opencmg.plugins.entra;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.opencmg.api.ClientRequest;
import org.opencmg.testkit.PluginTestContext;

/** Entra-like tokens the tests sign with keys they generate. */
final class Tokens {

    static final String APP_ID_URI = "https://ConfigMgrService";
    static final String CLIENT_APP_ID = "9f8e7d6c-5b4a-4321-8765-0123456789ab";

    private Tokens() {}

    static RSAKey newKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String v1Issuer(String tid) {
        return "https://sts.windows.net/" + tid + "/";
    }

    static String v2Issuer(String tid) {
        return "https://login.microsoftonline.com/" + tid + "/v2.0";
    }

    /** The claims of a v1 device token of {@code tid}, valid an hour around {@code now}. */
    static JWTClaimsSet.Builder v1(String tid, Instant now) {
        return new JWTClaimsSet.Builder()
                .issuer(v1Issuer(tid))
                .audience(APP_ID_URI)
                .claim("tid", tid)
                .claim("oid", "11111111-2222-3333-4444-555555555555")
                .claim("deviceid", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE")
                .claim("appid", CLIENT_APP_ID)
                .claim("upn", "desktop-42@contoso.example")
                .issueTime(Date.from(now.minus(Duration.ofMinutes(5))))
                .notBeforeTime(Date.from(now.minus(Duration.ofMinutes(5))))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(55))));
    }

    static String sign(RSAKey key, JWTClaimsSet claims) {
        return sign(key, key.getKeyID(), claims);
    }

    static String sign(RSAKey key, String kid, JWTClaimsSet claims) {
        try {
            var jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.RS256)
                            .type(JOSEObjectType.JWT)
                            .keyID(kid)
                            .build(),
                    claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A request carrying {@code Authorization: VALUE} (none if null). */
    static ClientRequest request(String authorization) {
        return PluginTestContext.request(authorization == null ? Map.of() : Map.of("Authorization", authorization));
    }

    static ClientRequest bearer(String token) {
        return request("Bearer " + token);
    }
}
