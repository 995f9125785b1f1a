package org.opencmg.plugins.entra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.opencmg.plugins.entra.Tokens.bearer;
import static org.opencmg.plugins.entra.Tokens.sign;
import static org.opencmg.plugins.entra.Tokens.v1;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Device;

class EntraAuthenticatorTest {

    static final String STRANGER = "deadbeef-0000-4000-8000-000000000000";

    static JwksServer jwks;
    static RSAKey key1;
    static RSAKey key2;
    static RSAKey key3;
    static RSAKey otherKey;
    static RSAKey impostor; // not published, but claims key1's ID

    TestContext ctx;
    EntraAuthenticator auth;

    @BeforeAll
    static void keys(@TempDir Path dir) throws Exception {
        jwks = new JwksServer(dir);
        key1 = Tokens.newKey("kid-1");
        key2 = Tokens.newKey("kid-2");
        key3 = Tokens.newKey("kid-3");
        otherKey = Tokens.newKey("other-1");
        impostor = Tokens.newKey("kid-1");
    }

    @AfterAll
    static void stopJwks() {
        jwks.close();
    }

    /** Each test has tenants of its own names on the JWKS server, so fetch counts start at zero. */
    String tenant;

    String other;

    @BeforeEach
    void setUp() {
        tenant = freshTenant();
        other = freshTenant();
        jwks.publish(tenant, key1);
        jwks.publish(other, otherKey);
        ctx = new TestContext();
        ctx.set(EntraSettings.TENANTS, tenants(tenant, other)).set(EntraSettings.JWKS_CA_FILE, jwks.caFile.toString());
        auth = new EntraAuthenticator(ctx);
    }

    private static int counter = 0;

    /** A GUID not used by any other test. */
    static synchronized String freshTenant() {
        return String.format("%08x-86f1-41af-91ab-2d7cd011db47", 0x72f98800 + ++counter);
    }

    String tenants(String... tids) {
        var b = new StringBuilder("[");
        for (String tid : tids) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append("""
                    {"tenant_id": "%s", "client_app_id": "%s", "app_id_uri": "%s", "jwks_url": "%s"}""".formatted(tid, Tokens.CLIENT_APP_ID, Tokens.APP_ID_URI, jwks.url(tid)));
        }
        return b.append(']').toString();
    }

    Instant now() {
        return ctx.clock.instant();
    }

    AuthOutcome present(String token) {
        return auth.authenticate(bearer(token));
    }

    static Device accepted(AuthOutcome outcome) {
        assertThat(outcome).isInstanceOf(AuthOutcome.Authenticated.class);
        return ((AuthOutcome.Authenticated) outcome).device();
    }

    static void assertRefused(AuthOutcome outcome, int status, String reason) {
        assertThat(outcome).isInstanceOfSatisfying(AuthOutcome.Refused.class, r -> {
            assertThat(r.reason()).isEqualTo(reason);
            assertThat(r.status()).isEqualTo(status);
        });
    }

    @Test
    void aV1DeviceTokenAuthenticatesTheDevice() {
        Device d = accepted(present(sign(key1, v1(tenant, now()).build())));
        assertThat(d.method()).isEqualTo("entra");
        assertThat(d.id()).isEqualTo("entra:" + tenant + ":aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
        assertThat(d.name()).isEqualTo("desktop-42@contoso.example");
        assertThat(d.attributes())
                .containsEntry("tid", tenant)
                .containsEntry("oid", "11111111-2222-3333-4444-555555555555")
                .containsEntry("deviceid", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE")
                .containsEntry("token_version", "1.0")
                .containsEntry("appid", Tokens.CLIENT_APP_ID);
    }

    @Test
    void aV2TokenWithoutDeviceIdIsTheObjectItNames() {
        var claims = v1(tenant, now())
                .issuer(Tokens.v2Issuer(tenant))
                .claim("deviceid", null)
                .claim("upn", null)
                .claim("appid", null)
                .claim("azp", Tokens.CLIENT_APP_ID)
                .build();
        Device d = accepted(present(sign(key1, claims)));
        assertThat(d.id()).isEqualTo("entra:" + tenant + ":11111111-2222-3333-4444-555555555555");
        assertThat(d.name()).isEqualTo(Tokens.CLIENT_APP_ID);
        assertThat(d.attributes()).doesNotContainKey("deviceid").containsEntry("token_version", "2.0");
    }

    @Test
    void theTenantIdMayBeWrittenInCapitals() {
        String upper = tenant.toUpperCase();
        var claims = v1(upper, now()).build();
        assertThat(accepted(present(sign(key1, claims))).id()).startsWith("entra:" + tenant + ":");
    }

    @Test
    void tokensOfOtherMethodsAreNotMine() {
        assertThat(auth.authenticate(Tokens.request(null))).isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(auth.authenticate(Tokens.request("Basic YWRtaW46cGFzc3dvcmQ=")))
                .isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(auth.authenticate(Tokens.request("Bearer "))).isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(present("not-a-jwt")).isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(present("a.b.c")).isEqualTo(AuthOutcome.NOT_MINE);
        // The site's own tokens (the token plugin's), and look-alike issuers.
        for (String iss : new String[] {
            "urn:sccm:oauth2:" + tenant,
            "https://sts.windows.net.example/" + tenant + "/",
            "https://sts.windows.net/" + tenant,
            "https://login.microsoftonline.com/" + tenant + "/v2.0/x",
            "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0",
            "http://sts.windows.net/" + tenant + "/"
        }) {
            assertThat(present(sign(key1, v1(tenant, now()).issuer(iss).build())))
                    .as(iss)
                    .isEqualTo(AuthOutcome.NOT_MINE);
        }
        assertThat(present(sign(key1, v1(tenant, now()).issuer(null).build()))).isEqualTo(AuthOutcome.NOT_MINE);
        assertThat(jwks.fetches(tenant)).isZero();
    }

    @Test
    void theBearerSchemeIsCaseInsensitive() {
        accepted(auth.authenticate(
                Tokens.request("bearer " + sign(key1, v1(tenant, now()).build()))));
    }

    @Test
    void aTokenForAnotherAudienceIsRefused() {
        assertRefused(
                present(sign(
                        key1,
                        v1(tenant, now())
                                .audience("https://graph.microsoft.com")
                                .build())),
                401,
                "wrong_audience");
        assertRefused(
                present(sign(key1, v1(tenant, now()).audience((String) null).build())), 401, "wrong_audience");
    }

    @Test
    void theServerAppIdIsAcceptedAsAudienceWhenConfigured() {
        String serverApp = "5e4d3c2b-1a09-4876-9543-210fedcba987";
        var claims = v1(tenant, now())
                .issuer(Tokens.v2Issuer(tenant))
                .audience(serverApp)
                .build();
        assertRefused(present(sign(key1, claims)), 401, "wrong_audience");
        ctx.set(EntraSettings.TENANTS, """
                [{"tenant_id": "%s", "client_app_id": "%s", "app_id_uri": "%s", "jwks_url": "%s", "server_app_id": "%s"}]""".formatted(
                        tenant, Tokens.CLIENT_APP_ID, Tokens.APP_ID_URI, jwks.url(tenant), serverApp));
        accepted(present(sign(key1, claims)));
    }

    @Test
    void anExpiredTokenIsRefusedBeyondTheSkew() {
        var expired = v1(tenant, now())
                .expirationTime(Date.from(now().minus(Duration.ofMinutes(3))))
                .build();
        assertRefused(present(sign(key1, expired)), 401, "token_expired");
        var justExpired = v1(tenant, now())
                .expirationTime(Date.from(now().minus(Duration.ofSeconds(100))))
                .build();
        accepted(present(sign(key1, justExpired))); // within the default 120 s
        ctx.set(EntraSettings.CLOCK_SKEW_SECONDS, "0");
        assertRefused(present(sign(key1, justExpired)), 401, "token_expired");
        ctx.set(EntraSettings.CLOCK_SKEW_SECONDS, "300");
        accepted(present(sign(key1, expired)));
    }

    @Test
    void aTokenWithoutExpiryIsRefused() {
        assertRefused(present(sign(key1, v1(tenant, now()).expirationTime(null).build())), 401, "invalid_token");
    }

    @Test
    void aTokenNotYetValidIsRefusedBeyondTheSkew() {
        var future = v1(tenant, now())
                .notBeforeTime(Date.from(now().plus(Duration.ofMinutes(10))))
                .build();
        assertRefused(present(sign(key1, future)), 401, "token_not_yet_valid");
        var soon = v1(tenant, now())
                .notBeforeTime(Date.from(now().plus(Duration.ofSeconds(60))))
                .build();
        accepted(present(sign(key1, soon)));
    }

    @Test
    void aTenantNotOnboardedIsRefusedWithoutFetchingAnything() {
        jwks.publish(STRANGER, key1);
        assertRefused(present(sign(key1, v1(STRANGER, now()).build())), 401, "tenant_not_onboarded");
        assertRefused(
                present(sign(
                        key1,
                        v1(STRANGER, now()).issuer(Tokens.v2Issuer(STRANGER)).build())),
                401,
                "tenant_not_onboarded");
        assertThat(jwks.fetches(STRANGER)).isZero();
    }

    @Test
    void theTidClaimMustBeTheIssuersTenant() {
        // Signed by the issuer tenant's key, but naming another onboarded tenant.
        assertRefused(present(sign(key1, v1(tenant, now()).claim("tid", other).build())), 401, "tenant_not_onboarded");
        assertRefused(present(sign(key1, v1(tenant, now()).claim("tid", null).build())), 401, "tenant_not_onboarded");
    }

    @Test
    void aTenantsTokenMustBeSignedWithItsOwnKeys() {
        accepted(present(sign(otherKey, v1(other, now()).build())));
        // other's key, tenant's issuer (its kid is not in tenant's JWKS)
        assertRefused(present(sign(otherKey, v1(tenant, now()).build())), 401, "invalid_token");
        // other's key claiming tenant's kid
        assertRefused(present(sign(otherKey, "kid-1", v1(tenant, now()).build())), 401, "invalid_token");
    }

    @Test
    void aTamperedTokenIsRefused() throws Exception {
        String token = sign(key1, v1(tenant, now()).build());
        accepted(present(token));
        String[] parts = token.split("\\.");
        // Payload changed, signature kept.
        var changed = v1(tenant, now())
                .claim("deviceid", "00000000-0000-0000-0000-000000000000")
                .build();
        String forged =
                parts[0] + "." + Base64URL.encode(changed.toString().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertRefused(present(forged), 401, "invalid_token");
        // Signature bytes flipped.
        byte[] sig = Base64URL.from(parts[2]).decode();
        sig[10] ^= 1;
        assertRefused(present(parts[0] + "." + parts[1] + "." + Base64URL.encode(sig)), 401, "invalid_token");
        // Signed by a key that merely claims a published key's ID.
        assertRefused(present(sign(impostor, v1(tenant, now()).build())), 401, "invalid_token");
    }

    @Test
    void anUnknownKeyIdIsRefused() {
        assertRefused(present(sign(key2, v1(tenant, now()).build())), 401, "invalid_token");
        var noKid = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256).build(),
                v1(tenant, now()).build());
        try {
            noKid.sign(new com.nimbusds.jose.crypto.RSASSASigner(key2));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        assertRefused(present(noKid.serialize()), 401, "invalid_token");
    }

    @Test
    void onlyRs256SignaturesAreAccepted() throws Exception {
        var hs = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("kid-1").build(),
                v1(tenant, now()).build());
        hs.sign(new MACSigner(new byte[32]));
        assertRefused(present(hs.serialize()), 401, "invalid_token");
        String unsigned = new PlainJWT(v1(tenant, now()).build()).serialize();
        assertRefused(present(unsigned), 401, "invalid_token");
        var ps = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.PS256).keyID("kid-1").build(),
                v1(tenant, now()).build());
        ps.sign(new com.nimbusds.jose.crypto.RSASSASigner(key1));
        assertRefused(present(ps.serialize()), 401, "invalid_token");
    }

    @Test
    void aTokenNamingNeitherDeviceNorObjectIsRefused() {
        assertRefused(
                present(sign(
                        key1,
                        v1(tenant, now())
                                .claim("deviceid", null)
                                .claim("oid", null)
                                .build())),
                401,
                "invalid_token");
        assertRefused(
                present(sign(
                        key1,
                        v1(tenant, now()).claim("deviceid", "a b\r\nX-Evil: 1").build())),
                401,
                "invalid_token");
    }

    @Test
    void theDeviceNameIsPrintableAsciiOnly() {
        Device d = accepted(present(sign(
                key1,
                v1(tenant, now())
                        .claim("upn", "jörg\r\nX-Evil: 1@contoso.example")
                        .build())));
        assertThat(d.name()).isEqualTo("j?rg??X-Evil: 1@contoso.example");
        assertThat(d.name().chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    @Test
    void theJwksIsFetchedOnceThenCached() {
        for (int i = 0; i < 5; i++) {
            accepted(present(sign(key1, v1(tenant, now()).build())));
            ctx.clock.advance(Duration.ofMinutes(5));
        }
        assertThat(jwks.fetches(tenant)).isEqualTo(1);
        // After an hour the keys are fetched again.
        ctx.clock.advance(Duration.ofMinutes(40));
        accepted(present(sign(key1, v1(tenant, now()).build())));
        assertThat(jwks.fetches(tenant)).isEqualTo(2);
    }

    @Test
    void anUnknownKeyIdRefetchesTheJwksAtMostOnceAMinute() {
        accepted(present(sign(key1, v1(tenant, now()).build())));
        assertThat(jwks.fetches(tenant)).isEqualTo(1);
        // The tenant rolls its keys over: kid-2 is published. Within a minute of the last fetch it is not looked for.
        jwks.publish(tenant, key1, key2);
        ctx.clock.advance(Duration.ofSeconds(30));
        assertRefused(present(sign(key2, v1(tenant, now()).build())), 401, "invalid_token");
        assertThat(jwks.fetches(tenant)).isEqualTo(1);
        // A minute after it, the unknown key makes it fetch again, and kid-2 is accepted.
        ctx.clock.advance(Duration.ofSeconds(31));
        accepted(present(sign(key2, v1(tenant, now()).build())));
        accepted(present(sign(key1, v1(tenant, now()).build())));
        assertThat(jwks.fetches(tenant)).isEqualTo(2);
        // A flood of invented key IDs: one fetch a minute, however many tokens.
        jwks.publish(tenant, key1, key2, key3);
        for (int i = 0; i < 20; i++) {
            ctx.clock.advance(Duration.ofSeconds(1));
            present(sign(key3, "invented-" + i, v1(tenant, now()).build()));
        }
        assertThat(jwks.fetches(tenant)).isEqualTo(2);
        assertRefused(present(sign(key3, v1(tenant, now()).build())), 401, "invalid_token");
        ctx.clock.advance(Duration.ofSeconds(41));
        present(sign(key3, "invented-x", v1(tenant, now()).build()));
        assertThat(jwks.fetches(tenant)).isEqualTo(3);
        accepted(present(sign(key3, v1(tenant, now()).build()))); // fetched by that refresh; no new fetch
        assertThat(jwks.fetches(tenant)).isEqualTo(3);
    }

    @Test
    void whenTheJwksCannotBeFetchedTheKeysAlreadyKnownStayInUse() {
        accepted(present(sign(key1, v1(tenant, now()).build())));
        jwks.failing(true);
        try {
            ctx.clock.advance(Duration.ofMinutes(61));
            accepted(present(sign(key1, v1(tenant, now()).build())));
            assertThat(jwks.fetches(tenant)).isEqualTo(2);
        } finally {
            jwks.failing(false);
        }
    }

    @Test
    void withoutAnyKeysTheMethodIsUnavailable() {
        jwks.failing(true);
        try {
            assertRefused(present(sign(key1, v1(tenant, now()).build())), 503, "jwks_unavailable");
            assertRefused(present(sign(key1, v1(tenant, now()).build())), 503, "jwks_unavailable");
            assertThat(jwks.fetches(tenant)).isEqualTo(1); // retried no sooner than a minute later
        } finally {
            jwks.failing(false);
        }
        ctx.clock.advance(Duration.ofSeconds(60));
        accepted(present(sign(key1, v1(tenant, now()).build())));
    }

    @Test
    void theJwksServersCertificateMustChainToATrustedCa() {
        ctx.set(EntraSettings.JWKS_CA_FILE, null);
        assertRefused(present(sign(key1, v1(tenant, now()).build())), 503, "jwks_unavailable");
        assertThat(jwks.fetches(tenant)).isZero(); // the TLS handshake failed
        ctx.set(EntraSettings.JWKS_CA_FILE, jwks.caFile.toString());
        accepted(present(sign(key1, v1(tenant, now()).build())));
    }

    @Test
    void changedSettingsTakeEffectWithoutARestart() {
        String later = freshTenant();
        jwks.publish(later, key3);
        assertRefused(present(sign(key3, v1(later, now()).build())), 401, "tenant_not_onboarded");
        ctx.set(EntraSettings.TENANTS, tenants(tenant, other, later));
        accepted(present(sign(key3, v1(later, now()).build())));
        accepted(present(sign(key1, v1(tenant, now()).build())));
        assertThat(jwks.fetches(tenant)).isEqualTo(1); // its cached keys survived the change
        ctx.set(EntraSettings.TENANTS, tenants(tenant));
        assertRefused(present(sign(key3, v1(later, now()).build())), 401, "tenant_not_onboarded");
    }

    @Test
    void badSettingsRefuseEntraTokensWith503AndLeaveOtherTokensAlone() {
        for (String[] bad : new String[][] {
            {EntraSettings.TENANTS, "{not json"},
            {EntraSettings.TENANTS, "{\"tenant_id\": \"x\"}"},
            {EntraSettings.JWKS_CA_FILE, "/nonexistent/ca.pem"},
            {EntraSettings.CLOCK_SKEW_SECONDS, "two minutes"}
        }) {
            var broken = new TestContext();
            broken.set(EntraSettings.TENANTS, tenants(tenant)).set(EntraSettings.JWKS_CA_FILE, jwks.caFile.toString());
            broken.set(bad[0], bad[1]);
            var a = new EntraAuthenticator(broken);
            assertRefused(
                    a.authenticate(
                            bearer(sign(key1, v1(tenant, broken.clock.instant()).build()))),
                    503,
                    "entra_misconfigured");
            assertThat(a.authenticate(bearer(sign(
                            key1,
                            v1(tenant, now()).issuer("urn:sccm:oauth2:abc").build()))))
                    .isEqualTo(AuthOutcome.NOT_MINE);
            assertThat(a.authenticate(Tokens.request(null))).isEqualTo(AuthOutcome.NOT_MINE);
            // Fixed: accepted again.
            broken.set(EntraSettings.TENANTS, tenants(tenant))
                    .set(EntraSettings.JWKS_CA_FILE, jwks.caFile.toString())
                    .set(EntraSettings.CLOCK_SKEW_SECONDS, null);
            accepted(a.authenticate(
                    bearer(sign(key1, v1(tenant, broken.clock.instant()).build()))));
        }
    }

    @Test
    void noTenantsByDefault() {
        var empty = new EntraAuthenticator(new TestContext());
        assertRefused(empty.authenticate(bearer(sign(key1, v1(tenant, now()).build()))), 401, "tenant_not_onboarded");
    }

    @Test
    void refusalsNeverCarryTheToken() {
        String[] tokens = {
            sign(key1, v1(tenant, now()).audience("https://elsewhere").build()),
            sign(
                    key1,
                    v1(tenant, now())
                            .expirationTime(Date.from(now().minus(Duration.ofHours(1))))
                            .build()),
            sign(key2, v1(tenant, now()).build()),
            sign(key1, v1(STRANGER, now()).build()),
        };
        for (String t : tokens) {
            var r = (AuthOutcome.Refused) present(t);
            String signature = t.substring(t.lastIndexOf('.') + 1);
            String payload = t.split("\\.")[1];
            assertThat(r.detail())
                    .doesNotContain(signature)
                    .doesNotContain(payload)
                    .doesNotContain(t);
        }
    }

    @Test
    void refusalDetailsAreSafeForALogLine() throws Exception {
        var header = new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("kid\r\nX-Evil: 1")
                .type(new com.nimbusds.jose.JOSEObjectType("JWT\r\nX-Evil: 2"))
                .build();
        var jwt = new SignedJWT(header, v1(tenant, now()).build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(key1));
        var r = (AuthOutcome.Refused) present(jwt.serialize());
        assertThat(r.reason()).isEqualTo("invalid_token");
        assertThat(r.detail().chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
        var wrongAudience = (AuthOutcome.Refused)
                present(sign(key1, v1(tenant, now()).audience("a\r\nb").build()));
        assertThat(wrongAudience.detail().chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    @Test
    void unsignedClaimsOfAForeignIssuerAreNotLookedAtFurther() {
        // A JWT whose payload is not a JSON object is simply not an Entra token.
        String header = Base64URL.encode("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8))
                .toString();
        String payload =
                Base64URL.encode("[1,2]".getBytes(StandardCharsets.UTF_8)).toString();
        assertThat(present(header + "." + payload + ".c2ln")).isEqualTo(AuthOutcome.NOT_MINE);
        // Nor is a claims set with a non-string issuer.
        var odd = new JWTClaimsSet.Builder().claim("iss", 42).build();
        assertThat(present(new PlainJWT(odd).serialize())).isEqualTo(AuthOutcome.NOT_MINE);
    }
}
