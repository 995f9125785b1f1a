package org.opencmg.plugins.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Device;

/** Minting and checking site tokens, with real keys, a real store and a clock the test moves. */
class TokenAuthenticatorTest {

    final TestContext ctx = new TestContext();
    final Tokens tokens = new Tokens(ctx);
    final TokenStore store = new TokenStore(ctx.jdbc());
    final TokenAuthenticator auth = new TokenAuthenticator(tokens, store, TokenAuthenticator.revokedDevices(ctx));

    Tokens.Minted bulk(Duration lifetime) {
        var t = tokens.mintBulk(lifetime);
        store.addBulk(new TokenStore.BulkToken(
                t.id(), t.issuedAt(), t.notBefore(), t.expiresAt(), "admin", false, null, null, null, 0));
        return t;
    }

    String registered(String deviceId) {
        Instant now = ctx.clock.instant();
        String bulkId = java.util.UUID.randomUUID().toString();
        store.addBulk(
                new TokenStore.BulkToken(bulkId, now, now, now.plusSeconds(60), "alice", false, null, null, null, 0));
        store.registerDevice(
                new TokenStore.RegisteredDevice(deviceId, "pc-" + deviceId.substring(0, 4), "-", now, bulkId, now));
        return tokens.mintDevice(deviceId, "pc-" + deviceId.substring(0, 4), null)
                .token();
    }

    AuthOutcome check(String token) {
        return auth.authenticate(TestContext.bearer(token));
    }

    static Device device(AuthOutcome o) {
        assertThat(o).isInstanceOf(AuthOutcome.Authenticated.class);
        return ((AuthOutcome.Authenticated) o).device();
    }

    static void refused(AuthOutcome o, String reason) {
        assertThat(o).isInstanceOfSatisfying(AuthOutcome.Refused.class, r -> {
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.reason()).isEqualTo(reason);
        });
    }

    @Test
    void aBulkTokenIsAnRs256JwtOfThisSiteWithTheDocumentedClaims() throws Exception {
        var t = bulk(Tokens.BULK_DEFAULT);
        var jwt = SignedJWT.parse(t.token());
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(jwt.getHeader().getType()).isEqualTo(JOSEObjectType.JWT);
        var publicKey = tokens.keys().current().publicKey();
        assertThat(jwt.getHeader().getKeyID())
                .isEqualTo(Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(MessageDigest.getInstance("SHA-256").digest(publicKey.getEncoded())));
        var c = jwt.getJWTClaimsSet();
        assertThat(c.getIssuer()).matches("urn:sccm:oauth2:[0-9a-f-]{36}");
        assertThat(c.getAudience()).containsExactly("urn:sccm:service");
        assertThat(c.getJWTID()).isEqualTo(t.id());
        assertThat(c.getClaim("Type")).isEqualTo("BulkRegistration");
        assertThat(c.getClaim("SCCMTokenCategory")).isEqualTo("SCCMPreAuthToken");
        assertThat(c.getIssueTime()).isEqualTo(c.getNotBeforeTime());
        assertThat(Duration.between(
                        c.getNotBeforeTime().toInstant(), c.getExpirationTime().toInstant()))
                .hasMinutes(4_320);

        Device d = device(check(t.token()));
        assertThat(d.method()).isEqualTo("token-bulk");
        assertThat(d.id()).isEqualTo("bulk:" + t.id());
        assertThat(auth.method()).isEqualTo("token");
    }

    @Test
    void theSiteIdIsStableAndCanBeConfigured() {
        String generated = tokens.issuer();
        assertThat(new Tokens(ctx).issuer()).as("kept as a secret").isEqualTo(generated);
        ctx.settings.put("plugins.auth-token.site-id", "0F2B7C1E-1111-2222-3333-444455556666");
        assertThat(tokens.issuer()).isEqualTo("urn:sccm:oauth2:0F2B7C1E-1111-2222-3333-444455556666");
    }

    @Test
    void bulkLifetimesAreOneMinuteToSevenDays() {
        assertThat(Duration.between(
                        bulk(Duration.ofMinutes(10_080)).notBefore(),
                        bulk(Duration.ofMinutes(10_080)).expiresAt()))
                .isEqualTo(Duration.ofDays(7));
        assertThatThrownBy(() -> tokens.mintBulk(Duration.ofMinutes(10_081)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tokens.mintBulk(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deviceAndAccessTokensCarryTheDeviceAndTheirLifetimes() throws Exception {
        String id = "ab".repeat(32);
        var deviceToken = registered(id);
        var dc = SignedJWT.parse(deviceToken).getJWTClaimsSet();
        assertThat(dc.getSubject()).isEqualTo(id);
        assertThat(dc.getClaim("Type")).isEqualTo("DeviceToken");
        assertThat(Duration.between(
                        dc.getNotBeforeTime().toInstant(),
                        dc.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofDays(90));
        Device d = device(check(deviceToken));
        assertThat(d.method()).isEqualTo("token-device");
        assertThat(d.id()).isEqualTo(id);
        assertThat(d.name()).isEqualTo("pc-abab");

        var access = tokens.mintAccess(id, "pc-abab", "token", null, null);
        var ac = SignedJWT.parse(access.token()).getJWTClaimsSet();
        assertThat(ac.getClaim("Type")).isEqualTo("AccessToken");
        assertThat(ac.getClaim("auth")).isEqualTo("token");
        assertThat(Duration.between(
                        ac.getIssueTime().toInstant(), ac.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofHours(8));
        Device a = device(check(access.token()));
        assertThat(a.method()).isEqualTo("token");
        assertThat(a.id()).isEqualTo(id);
        assertThat(a.attributes()).containsEntry("auth", "token");

        // An access token never outlives the device token it came from.
        Instant soon = ctx.clock.instant().plus(Duration.ofHours(1));
        assertThat(tokens.mintAccess(id, "pc", "token", null, soon).expiresAt()).isEqualTo(soon);
    }

    @Test
    void aDeviceTokenOfAnUnregisteredDeviceIsRefused() {
        refused(check(tokens.mintDevice("cd".repeat(32), "ghost", null).token()), "invalid_token");
    }

    @Test
    void expiryAndNotBeforeHoldWithTwoMinutesOfSkew() {
        Instant issued = ctx.clock.instant();
        var t = bulk(Duration.ofMinutes(60));
        ctx.clock.set(issued.plus(Duration.ofMinutes(61)));
        assertThat(check(t.token())).as("inside the skew").isInstanceOf(AuthOutcome.Authenticated.class);
        ctx.clock.set(issued.plus(Duration.ofMinutes(62)).plusSeconds(1));
        refused(check(t.token()), "token_expired");

        ctx.clock.set(issued.minus(Duration.ofMinutes(1)));
        assertThat(check(t.token())).as("inside the skew").isInstanceOf(AuthOutcome.Authenticated.class);
        ctx.clock.set(issued.minus(Duration.ofMinutes(3)));
        refused(check(t.token()), "token_not_yet_valid");
    }

    @Test
    void forgedTamperedWrongAudienceAndUnknownKeyTokensAreInvalid() throws Exception {
        var key = tokens.keys().current();
        var claims = new JWTClaimsSet.Builder()
                .issuer(tokens.issuer())
                .audience("urn:sccm:service")
                .jwtID(UUID.randomUUID().toString())
                .issueTime(new Date())
                .notBeforeTime(Date.from(ctx.clock.instant()))
                .expirationTime(Date.from(ctx.clock.instant().plusSeconds(3600)))
                .subject("ab".repeat(32))
                .claim("Type", "AccessToken")
                .build();
        assertThat(check(sign(claims, key.kid(), key.privateKey())))
                .as("our key")
                .isInstanceOf(AuthOutcome.Authenticated.class);

        var gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        PrivateKey forger = gen.generateKeyPair().getPrivate();
        refused(check(sign(claims, key.kid(), forger)), "invalid_token");
        refused(check(sign(claims, "not-a-kid", key.privateKey())), "invalid_token");
        refused(check(sign(claims, null, key.privateKey())), "invalid_token");

        var wrongAudience = new JWTClaimsSet.Builder(claims)
                .audience("https://ConfigMgrService")
                .build();
        refused(check(sign(wrongAudience, key.kid(), key.privateKey())), "invalid_token");

        String good = sign(claims, key.kid(), key.privateKey());
        String[] parts = good.split("\\.");
        String otherPayload = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(new JWTClaimsSet.Builder(claims)
                        .subject("ef".repeat(32))
                        .build()
                        .toString()
                        .getBytes());
        refused(check(parts[0] + "." + otherPayload + "." + parts[2]), "invalid_token");

        refused(check(new PlainJWT(claims).serialize()), "invalid_token");
        var hs = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.kid()).build(), claims);
        hs.sign(new MACSigner(new byte[32]));
        refused(check(hs.serialize()), "invalid_token");
        refused(check("not-a-jwt"), "invalid_token");
        var noType = new JWTClaimsSet.Builder(claims).claim("Type", null).build();
        refused(check(sign(noType, key.kid(), key.privateKey())), "invalid_token");
    }

    @Test
    void tokensOfOtherIssuersAndOtherSchemesAreNotThisMethods() throws Exception {
        var key = tokens.keys().current();
        var entraLike = new JWTClaimsSet.Builder()
                .issuer("https://sts.windows.net/" + UUID.randomUUID() + "/")
                .audience("https://ConfigMgrService")
                .expirationTime(new Date(System.currentTimeMillis() + 60_000))
                .build();
        assertThat(check(sign(entraLike, "x", key.privateKey()))).isEqualTo(AuthOutcome.NOT_MINE);
        var otherSite = new JWTClaimsSet.Builder(entraLike)
                .issuer("urn:sccm:oauth2:" + UUID.randomUUID())
                .build();
        assertThat(check(sign(otherSite, key.kid(), key.privateKey()))).isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(auth.authenticate(TestContext.request(Map.of()))).isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(auth.authenticate(TestContext.request(Map.of("Authorization", "Basic YTpi"))))
                .isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(auth.authenticate(TestContext.request(Map.of("Authorization", "Bearer "))))
                .isEqualTo(AuthOutcome.NOT_MINE);
        var t = bulk(Duration.ofMinutes(5));
        assertThat(auth.authenticate(TestContext.request(Map.of("authorization", "bearer " + t.token()))))
                .isInstanceOf(AuthOutcome.Authenticated.class);
    }

    @Test
    void aBlockedBulkTokenIsRefusedAtOnceAndAnUnblockedOneAcceptedAgain() {
        var t = bulk(Tokens.BULK_DEFAULT);
        assertThat(store.setBlocked(t.id(), true, ctx.clock.instant(), "admin")).isTrue();
        refused(check(t.token()), "token_blocked");
        assertThat(store.setBlocked(t.id(), false, ctx.clock.instant(), "admin"))
                .isTrue();
        assertThat(check(t.token())).isInstanceOf(AuthOutcome.Authenticated.class);
        assertThat(store.setBlocked(UUID.randomUUID().toString(), true, ctx.clock.instant(), "admin"))
                .isFalse();
    }

    @Test
    void aBulkTokenMissingFromTheStoreIsRefused() {
        refused(check(tokens.mintBulk(Tokens.BULK_DEFAULT).token()), "invalid_token");
    }

    @Test
    void aRolloverKeepsLiveTokensValidUntilTheOldKeyRetires() throws Exception {
        String id = "12".repeat(32);
        String before = registered(id);
        String oldKid = SignedJWT.parse(before).getHeader().getKeyID();

        var rotated = tokens.keys().rotate("admin");
        assertThat(rotated.kid()).isNotEqualTo(oldKid);
        String after = tokens.mintDevice(id, "pc", null).token();
        assertThat(SignedJWT.parse(after).getHeader().getKeyID()).isEqualTo(rotated.kid());
        assertThat(check(before)).as("old device token").isInstanceOf(AuthOutcome.Authenticated.class);
        assertThat(check(after)).isInstanceOf(AuthOutcome.Authenticated.class);

        // Another instance, which has not seen the rotation in its cache, learns the new kid at once.
        ctx.forgetShared();
        var other = new TokenAuthenticator(new Tokens(ctx), store, TokenAuthenticator.revokedDevices(ctx));
        assertThat(other.authenticate(TestContext.bearer(after))).isInstanceOf(AuthOutcome.Authenticated.class);
        assertThat(other.authenticate(TestContext.bearer(before))).isInstanceOf(AuthOutcome.Authenticated.class);

        // 90 days later the old device token is still inside the 91-day overlap (and alive with the skew).
        ctx.clock.advance(Duration.ofDays(90).minusMinutes(1));
        ctx.forgetShared();
        assertThat(new TokenAuthenticator(new Tokens(ctx), store, TokenAuthenticator.revokedDevices(ctx))
                        .authenticate(TestContext.bearer(before)))
                .isInstanceOf(AuthOutcome.Authenticated.class);
        // Once the overlap is over the old key is gone: its signature no longer verifies.
        ctx.clock.advance(Duration.ofDays(2));
        ctx.forgetShared();
        refused(
                new TokenAuthenticator(new Tokens(ctx), store, TokenAuthenticator.revokedDevices(ctx))
                        .authenticate(TestContext.bearer(before)),
                "invalid_token");
        assertThat(ctx.secrets.valid(SigningKeys.SECRET)).hasSize(1);
    }

    @Test
    void theSigningKeyIsMadeOnceAndKeptInTheSecretStore() {
        var k1 = tokens.keys().current();
        var k2 = new Tokens(ctx).keys().current();
        assertThat(k2.kid()).isEqualTo(k1.kid());
        assertThat(ctx.secrets.valid(SigningKeys.SECRET)).hasSize(1);
        assertThat(k1.publicKey().getModulus().bitLength()).isEqualTo(2048);
    }

    static String sign(JWTClaimsSet claims, String kid, PrivateKey key) throws Exception {
        var header = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT);
        if (kid != null) {
            header.keyID(kid);
        }
        var jwt = new SignedJWT(header.build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }
}
