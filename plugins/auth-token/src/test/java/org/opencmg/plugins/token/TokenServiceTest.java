package org.opencmg.plugins.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Device;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;

/** The token service (CCM_STS) and the admin API, as the gateway calls them. */
class TokenServiceTest {

    static final String STS = "/CCM_Proxy_ServerAuth/72057594037927939/CCM_STS";

    final TestContext ctx = new TestContext();
    final Tokens tokens = new Tokens(ctx);
    final TokenStore store = new TokenStore(ctx.jdbc());
    final TokenAuthenticator auth = new TokenAuthenticator(tokens, store, TokenAuthenticator.revokedDevices(ctx));
    final TokenService sts = new TokenService(tokens, store);
    final TokenAdmin admin = new TokenAdmin(ctx, tokens, store);
    final TokenAdmin.Devices devices = new TokenAdmin.Devices(ctx, store, TokenAuthenticator.revokedDevices(ctx));

    /** The gateway's way: authenticate the bearer, then hand the devices to the service. */
    ServiceResponse call(String method, String path, String bearer, String body, Device... extra) {
        var devices = new ArrayList<Device>(List.of(extra));
        if (bearer != null) {
            var outcome = auth.authenticate(TestContext.bearer(bearer));
            if (outcome instanceof AuthOutcome.Refused r) {
                return ServiceResponse.refuse(r.refusal(), r.detail());
            }
            if (outcome instanceof AuthOutcome.Authenticated a) {
                devices.add(a.device());
            }
        }
        return sts.handle(new ServiceRequest(
                method,
                path,
                "",
                Map.of(),
                Map.of(),
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
                devices,
                null));
    }

    static Map<String, Object> json(ServiceResponse r) throws Exception {
        assertThat(r.reason()).as(new String(r.body(), StandardCharsets.UTF_8)).isNull();
        assertThat(r.status()).isEqualTo(200);
        return JSONObjectUtils.parse(new String(r.body(), StandardCharsets.UTF_8));
    }

    static void refused(ServiceResponse r, int status, String reason) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.reason()).isEqualTo(reason);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status + " " + reason + "\n");
    }

    String newBulkToken(long minutes) throws Exception {
        var reply = admin.handle(
                new AdminCall("POST", "", Map.of(), ("{\"lifetime_minutes\": " + minutes + "}").getBytes(), "alice"));
        assertThat(reply.status()).isEqualTo(200);
        return (String) ((Map<?, ?>) reply.json()).get("token");
    }

    static KeyPair ec() throws Exception {
        var gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    static String pem(KeyPair kp) {
        return DeviceKeys.toPem(kp.getPublic().getEncoded());
    }

    /** What the review's attacker sent: a public key, no proof that the sender holds its private key. */
    static String bodyWithoutProof(KeyPair kp, String name) {
        return JSONObjectUtils.toJSONString(Map.of("public_key", pem(kp), "name", name));
    }

    /** A device's registration: its public key and a fresh proof, signed with the key, for this bulk token. */
    String registerBody(KeyPair kp, String name, String bulk) throws Exception {
        return bodyWithProof(
                kp,
                name,
                registrationProof(
                        kp, bulkJti(bulk), deviceId(kp), ctx.clock.instant().getEpochSecond()));
    }

    static String bodyWithProof(KeyPair kp, String name, String proof) {
        return JSONObjectUtils.toJSONString(Map.of("public_key", pem(kp), "name", name, "proof", proof));
    }

    static String registrationProof(KeyPair kp, String jti, String deviceId, long iat) throws Exception {
        boolean rsa = kp.getPrivate() instanceof RSAPrivateKey;
        JWSSigner signer = rsa ? new RSASSASigner(kp.getPrivate()) : new ECDSASigner((ECPrivateKey) kp.getPrivate());
        var jws = new JWSObject(
                new JWSHeader(rsa ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256),
                new Payload(Map.of("jti", jti, "device_id", deviceId, "iat", iat)));
        jws.sign(signer);
        return jws.serialize();
    }

    static String bulkJti(String bulk) throws Exception {
        return SignedJWT.parse(bulk).getJWTClaimsSet().getJWTID();
    }

    static String deviceId(KeyPair kp) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(kp.getPublic().getEncoded()));
    }

    static String proof(JWSSigner signer, JWSAlgorithm alg, String jti, long iat) throws Exception {
        var jws = new JWSObject(new JWSHeader(alg), new Payload(Map.of("jti", jti, "iat", iat)));
        jws.sign(signer);
        return jws.serialize();
    }

    @Test
    void aDeviceRegistersWithABulkTokenThenGetsAccessTokens() throws Exception {
        String bulk = newBulkToken(60);
        KeyPair kp = ec();
        var reg = json(call("POST", STS + "/register", bulk, registerBody(kp, "laptop-17", bulk)));
        String expectedId = HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(kp.getPublic().getEncoded()));
        assertThat(reg.get("device_id")).isEqualTo(expectedId);
        assertThat(reg).containsKeys("device_token", "expires_at");
        var stored = store.device(expectedId).orElseThrow();
        assertThat(stored.name()).isEqualTo("laptop-17");
        assertThat(stored.bulkTokenId())
                .isEqualTo(SignedJWT.parse(bulk).getJWTClaimsSet().getJWTID());
        assertThat(stored.publicKeyPem()).startsWith("-----BEGIN PUBLIC KEY-----");

        String deviceToken = (String) reg.get("device_token");
        for (String path : List.of(STS, STS + "/token", STS.toLowerCase() + "/TOKEN")) {
            var access = json(call("POST", path, deviceToken, null));
            assertThat(access.get("token_type")).isEqualTo("Bearer");
            assertThat(access.get("expires_in")).isEqualTo(28_800L);
            var claims = SignedJWT.parse((String) access.get("access_token")).getJWTClaimsSet();
            assertThat(claims.getSubject()).isEqualTo(expectedId);
            assertThat(claims.getClaim("auth")).isEqualTo("token");
            assertThat(claims.getClaim("Type")).isEqualTo("AccessToken");
        }
    }

    @Test
    void aDeviceBelongsToTheSiteWhoseRolesTokenServiceRegisteredIt() throws Exception {
        ctx.roleSites.put("72057594037927939", "PS1");
        String bulk = newBulkToken(60);
        KeyPair kp = ec();
        String deviceToken = (String) json(call("POST", STS + "/register", bulk, registerBody(kp, "pc-ps1", bulk)))
                .get("device_token");
        assertThat(SignedJWT.parse(deviceToken).getJWTClaimsSet().getClaim("site"))
                .isEqualTo("PS1");
        String access = (String) json(call("POST", STS, deviceToken, null)).get("access_token");
        assertThat(SignedJWT.parse(access).getJWTClaimsSet().getClaim("site"))
                .as("the access token carries it on")
                .isEqualTo("PS1");
        var device = auth.authenticate(TestContext.bearer(access));
        assertThat(((AuthOutcome.Authenticated) device).device().site()).contains("PS1");
        // A role ID no site publishes: the device belongs to no site.
        ctx.roleSites.clear();
        String other = (String) json(call("POST", STS + "/register", bulk, registerBody(ec(), "pc-none", bulk)))
                .get("device_token");
        assertThat(SignedJWT.parse(other).getJWTClaimsSet().getClaim("site")).isNull();
    }

    @Test
    void anEntraDeviceGetsAnAccessTokenForItsOwnId() throws Exception {
        var entra = new Device("0d3c1a2b-entra-device", "entra", "LAPTOP-ENTRA", Map.of("tid", "t1"));
        var access = json(call("POST", STS, null, null, entra));
        var claims = SignedJWT.parse((String) access.get("access_token")).getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo("0d3c1a2b-entra-device");
        assertThat(claims.getClaim("auth")).isEqualTo("entra");
        var d = ((AuthOutcome.Authenticated) auth.authenticate(TestContext.bearer((String) access.get("access_token"))))
                .device();
        assertThat(d.method()).isEqualTo("token");
        assertThat(d.attributes()).containsEntry("auth", "entra");
    }

    @Test
    void eachOperationWantsItsOwnKindOfCredential() throws Exception {
        String bulk = newBulkToken(60);
        KeyPair kp = ec();
        String deviceToken = (String) json(call("POST", STS + "/register", bulk, registerBody(kp, "pc", bulk)))
                .get("device_token");
        String access = (String) json(call("POST", STS, deviceToken, null)).get("access_token");

        refused(call("POST", STS, bulk, null), 401, "device_token_required");
        refused(call("POST", STS, access, null), 401, "device_token_required");
        refused(call("POST", STS + "/register", deviceToken, bodyWithoutProof(ec(), "x")), 401, "bulk_token_required");
        refused(call("POST", STS + "/register", access, bodyWithoutProof(ec(), "x")), 401, "bulk_token_required");
        refused(call("POST", STS + "/renew", bulk, "{}"), 401, "device_token_required");
        var pki = new Device("AB12", "pki", "CN=pc", Map.of());
        refused(call("POST", STS + "/register", null, bodyWithoutProof(ec(), "x"), pki), 401, "bulk_token_required");
        refused(call("POST", STS, null, null, pki), 401, "device_token_required");
    }

    @Test
    void whatTheServiceDoesNotOfferIsRefused() throws Exception {
        String bulk = newBulkToken(60);
        refused(call("GET", STS, bulk, null), 405, "method_not_allowed");
        refused(call("PUT", STS + "/register", bulk, null), 405, "method_not_allowed");
        refused(call("POST", STS + "/keys", bulk, null), 404, "unknown_sts_operation");
        refused(call("POST", STS + "/register/more", bulk, null), 404, "unknown_sts_operation");
        refused(call("POST", STS + "/register", bulk, "not json"), 400, "malformed_request");
        refused(call("POST", STS + "/register", bulk, "{\"name\": \"x\"}"), 400, "bad_public_key");
        refused(
                call(
                        "POST",
                        STS + "/register",
                        bulk,
                        "{\"public_key\": \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\"}"),
                400,
                "bad_public_key");
        var p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        refused(
                call("POST", STS + "/register", bulk, bodyWithoutProof(p384.generateKeyPair(), "x")),
                400,
                "bad_public_key");
        refused(call("POST", STS + "/register", bulk, bodyWithoutProof(ec(), "bad\u0001name")), 400, "bad_device_name");
    }

    @Test
    void rsaDeviceKeysAndDefaultNamesWork() throws Exception {
        var gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        var kp = gen.generateKeyPair();
        String bulk = newBulkToken(60);
        var reg = json(call(
                "POST",
                STS + "/register",
                bulk,
                JSONObjectUtils.toJSONString(Map.of(
                        "public_key",
                        pem(kp),
                        "proof",
                        registrationProof(
                                kp,
                                bulkJti(bulk),
                                deviceId(kp),
                                ctx.clock.instant().getEpochSecond())))));
        String id = (String) reg.get("device_id");
        assertThat(store.device(id).orElseThrow().name()).isEqualTo("device-" + id.substring(0, 12));
        String deviceToken = (String) reg.get("device_token");
        String jti = SignedJWT.parse(deviceToken).getJWTClaimsSet().getJWTID();
        long now = ctx.clock.instant().getEpochSecond();
        var renewed = json(call(
                "POST",
                STS + "/renew",
                deviceToken,
                JSONObjectUtils.toJSONString(Map.of(
                        "proof",
                        proof(new RSASSASigner((RSAPrivateKey) kp.getPrivate()), JWSAlgorithm.RS256, jti, now)))));
        assertThat(renewed.get("device_id")).isEqualTo(id);
    }

    @Test
    void renewalNeedsAFreshProofOfTheRegisteredKeyForThisVeryToken() throws Exception {
        KeyPair kp = ec();
        String bulk = newBulkToken(60);
        var reg = json(call("POST", STS + "/register", bulk, registerBody(kp, "pc", bulk)));
        String deviceToken = (String) reg.get("device_token");
        String jti = SignedJWT.parse(deviceToken).getJWTClaimsSet().getJWTID();
        var signer = new ECDSASigner((ECPrivateKey) kp.getPrivate());
        long now = ctx.clock.instant().getEpochSecond();

        ctx.clock.advance(Duration.ofDays(30));
        long later = ctx.clock.instant().getEpochSecond();
        var renewed = json(call(
                "POST",
                STS + "/renew",
                deviceToken,
                JSONObjectUtils.toJSONString(Map.of("proof", proof(signer, JWSAlgorithm.ES256, jti, later)))));
        String newToken = (String) renewed.get("device_token");
        var claims = SignedJWT.parse(newToken).getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo(reg.get("device_id"));
        assertThat(claims.getExpirationTime().toInstant())
                .isEqualTo(ctx.clock.instant().plus(Duration.ofDays(90)));
        assertThat(auth.authenticate(TestContext.bearer(newToken))).isInstanceOf(AuthOutcome.Authenticated.class);

        refused(call("POST", STS + "/renew", deviceToken, "{}"), 401, "invalid_proof");
        refused(
                call(
                        "POST",
                        STS + "/renew",
                        deviceToken,
                        JSONObjectUtils.toJSONString(Map.of("proof", proof(signer, JWSAlgorithm.ES256, jti, now)))),
                401,
                "invalid_proof");
        refused(
                call(
                        "POST",
                        STS + "/renew",
                        deviceToken,
                        JSONObjectUtils.toJSONString(
                                Map.of("proof", proof(signer, JWSAlgorithm.ES256, "another-jti", later)))),
                401,
                "invalid_proof");
        var stranger = new ECDSASigner((ECPrivateKey) ec().getPrivate());
        refused(
                call(
                        "POST",
                        STS + "/renew",
                        deviceToken,
                        JSONObjectUtils.toJSONString(Map.of("proof", proof(stranger, JWSAlgorithm.ES256, jti, later)))),
                401,
                "invalid_proof");
        refused(call("POST", STS + "/renew", deviceToken, "{\"proof\": \"x.y.z\"}"), 401, "invalid_proof");
    }

    @Test
    void aBlockedBulkTokenCannotRegister() throws Exception {
        var reply = (Map<?, ?>) admin.handle(new AdminCall("POST", "", Map.of(), new byte[0], "alice"))
                .json();
        String id = (String) reply.get("id");
        String bulk = (String) reply.get("token");
        assertThat(admin.handle(new AdminCall("POST", "/" + id + "/block", Map.of(), new byte[0], "bob"))
                        .status())
                .isEqualTo(200);
        refused(call("POST", STS + "/register", bulk, registerBody(ec(), "pc", bulk)), 401, "token_blocked");
        assertThat(admin.handle(new AdminCall("POST", "/" + id + "/unblock", Map.of(), new byte[0], "bob"))
                        .status())
                .isEqualTo(200);
        json(call("POST", STS + "/register", bulk, registerBody(ec(), "pc", bulk)));
    }

    @Test
    void registrationNeedsAProofByTheKeyBeingRegistered() throws Exception {
        String bulk = newBulkToken(60);
        KeyPair victim = ec();
        json(call("POST", STS + "/register", bulk, registerBody(victim, "victim-laptop", bulk)));
        String jti = bulkJti(bulk);
        String id = deviceId(victim);
        long now = ctx.clock.instant().getEpochSecond();
        KeyPair attacker = ec();

        // The review's attack: the victim's public key, no private key.
        refused(call("POST", STS + "/register", bulk, bodyWithoutProof(victim, "attacker-box")), 401, "invalid_proof");
        // A proof signed by another key, for the victim's ID.
        refused(
                call(
                        "POST",
                        STS + "/register",
                        bulk,
                        bodyWithProof(victim, "attacker-box", registrationProof(attacker, jti, id, now))),
                401,
                "invalid_proof");
        // The victim's own proofs, replayed: for another bulk token, for another key, too old.
        refused(
                call(
                        "POST",
                        STS + "/register",
                        bulk,
                        bodyWithProof(
                                victim, "attacker-box", registrationProof(victim, "another-bulk-token", id, now))),
                401,
                "invalid_proof");
        refused(
                call(
                        "POST",
                        STS + "/register",
                        bulk,
                        bodyWithProof(
                                attacker, "attacker-box", registrationProof(victim, jti, deviceId(attacker), now))),
                401,
                "invalid_proof");
        refused(
                call(
                        "POST",
                        STS + "/register",
                        bulk,
                        bodyWithProof(
                                victim,
                                "attacker-box",
                                registrationProof(
                                        victim,
                                        jti,
                                        id,
                                        now - Duration.ofMinutes(6).toSeconds()))),
                401,
                "invalid_proof");

        var stored = store.device(id).orElseThrow();
        assertThat(stored.name()).isEqualTo("victim-laptop");
        assertThat(store.devices()).hasSize(1);
    }

    @Test
    void registeringAKeyAgainNeverRenamesTheDeviceNorMovesItToAnotherBulkToken() throws Exception {
        String first = newBulkToken(60);
        KeyPair kp = ec();
        json(call("POST", STS + "/register", first, registerBody(kp, "laptop-17", first)));

        ctx.clock.advance(Duration.ofMinutes(10));
        String second = newBulkToken(60);
        var again = json(call("POST", STS + "/register", second, registerBody(kp, "renamed", second)));

        var stored = store.device(deviceId(kp)).orElseThrow();
        assertThat(stored.name()).isEqualTo("laptop-17");
        assertThat(stored.bulkTokenId()).isEqualTo(bulkJti(first));
        assertThat(stored.lastIssuedAt()).isEqualTo(ctx.clock.instant());
        var claims = SignedJWT.parse((String) again.get("device_token")).getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo(deviceId(kp));
        assertThat(claims.getClaim("name")).isEqualTo("laptop-17");
    }

    /** A registered device: its ID, device token and access token. */
    record Registered(KeyPair key, String id, String deviceToken, String accessToken) {}

    Registered registered(String name) throws Exception {
        String bulk = newBulkToken(60);
        KeyPair kp = ec();
        var reg = json(call("POST", STS + "/register", bulk, registerBody(kp, name, bulk)));
        String deviceToken = (String) reg.get("device_token");
        return new Registered(kp, (String) reg.get("device_id"), deviceToken, (String)
                json(call("POST", STS, deviceToken, null)).get("access_token"));
    }

    int devicesCall(String method, String subPath) {
        return devices.handle(new AdminCall(method, subPath, Map.of(), new byte[0], "bob"))
                .status();
    }

    String renewProof(Registered d) throws Exception {
        return JSONObjectUtils.toJSONString(Map.of(
                "proof",
                proof(
                        new ECDSASigner((ECPrivateKey) d.key().getPrivate()),
                        JWSAlgorithm.ES256,
                        SignedJWT.parse(d.deviceToken()).getJWTClaimsSet().getJWTID(),
                        ctx.clock.instant().getEpochSecond())));
    }

    static void refusedAuth(AuthOutcome outcome, String reason) {
        assertThat(outcome).isInstanceOf(AuthOutcome.Refused.class);
        assertThat(((AuthOutcome.Refused) outcome).reason()).isEqualTo(reason);
        assertThat(((AuthOutcome.Refused) outcome).status()).isEqualTo(401);
    }

    @Test
    void aBlockedDeviceLosesItsDeviceAndAccessTokensAndCannotRenewNorRegisterAgain() throws Exception {
        Registered d = registered("stolen-laptop");
        Registered other = registered("other-laptop");
        assertThat(auth.authenticate(TestContext.bearer(d.accessToken())))
                .isInstanceOf(AuthOutcome.Authenticated.class);

        assertThat(devicesCall("POST", "/" + d.id() + "/block")).isEqualTo(200);

        refusedAuth(auth.authenticate(TestContext.bearer(d.accessToken())), "device_blocked");
        refused(call("POST", STS, d.deviceToken(), null), 401, "device_blocked");
        refused(call("POST", STS + "/renew", d.deviceToken(), renewProof(d)), 401, "device_blocked");
        String bulk = newBulkToken(60);
        refused(call("POST", STS + "/register", bulk, registerBody(d.key(), "again", bulk)), 401, "device_blocked");
        assertThat(auth.authenticate(TestContext.bearer(other.accessToken())))
                .isInstanceOf(AuthOutcome.Authenticated.class);
        var row = (Map<?, ?>) devices.handle(new AdminCall("GET", "/" + d.id(), Map.of(), new byte[0], "bob"))
                .json();
        assertThat(row.get("state")).isEqualTo("blocked");
        assertThat(row.get("blocked_by")).isEqualTo("bob");
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("bob token.device_block " + d.id()));

        assertThat(devicesCall("POST", "/" + d.id() + "/unblock")).isEqualTo(200);
        assertThat(auth.authenticate(TestContext.bearer(d.accessToken())))
                .isInstanceOf(AuthOutcome.Authenticated.class);
        json(call("POST", STS + "/renew", d.deviceToken(), renewProof(d)));
    }

    @Test
    void aDeletedDeviceLosesEveryTokenIssuedSoFarAndItsKeyMayRegisterAgain() throws Exception {
        Registered d = registered("old-pc");

        assertThat(devicesCall("DELETE", "/" + d.id())).isEqualTo(200);
        assertThat(store.device(d.id())).isEmpty();
        assertThat(devicesCall("DELETE", "/" + d.id())).isEqualTo(404);

        refusedAuth(auth.authenticate(TestContext.bearer(d.accessToken())), "device_deleted");
        refused(call("POST", STS, d.deviceToken(), null), 401, "device_deleted");
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("bob token.device_delete " + d.id()));

        // The holder of the key registers again: new tokens work, the old ones stay refused.
        ctx.clock.advance(Duration.ofSeconds(1));
        String bulk = newBulkToken(60);
        String deviceToken = (String) json(call("POST", STS + "/register", bulk, registerBody(d.key(), "old-pc", bulk)))
                .get("device_token");
        String access = (String) json(call("POST", STS, deviceToken, null)).get("access_token");
        assertThat(auth.authenticate(TestContext.bearer(access))).isInstanceOf(AuthOutcome.Authenticated.class);
        refusedAuth(auth.authenticate(TestContext.bearer(d.accessToken())), "device_deleted");

        // Once no access token of before can be alive, the deletion is forgotten.
        ctx.clock.advance(Duration.ofHours(9));
        assertThat(devicesCall("DELETE", "/" + registered("later").id())).isEqualTo(200);
        assertThat(store.revocations(Instant.EPOCH))
                .extracting(TokenStore.Revocation::deviceId)
                .doesNotContain(d.id());
    }

    @Test
    void aBlockMadeThroughAnotherInstanceHoldsHereWithinASecond() throws Exception {
        Registered d = registered("laptop");
        assertThat(auth.authenticate(TestContext.bearer(d.accessToken())))
                .isInstanceOf(AuthOutcome.Authenticated.class);
        // The other instance: its own extensions and caches, the same store.
        ctx.forgetShared();
        var otherDevices = new TokenAdmin.Devices(ctx, store, TokenAuthenticator.revokedDevices(ctx));
        assertThat(otherDevices
                        .handle(new AdminCall("POST", "/" + d.id() + "/block", Map.of(), new byte[0], "bob"))
                        .status())
                .isEqualTo(200);

        long t0 = System.nanoTime();
        while (auth.authenticate(TestContext.bearer(d.accessToken())) instanceof AuthOutcome.Authenticated) {
            assertThat(System.nanoTime() - t0).as("still accepted after 1 s").isLessThan(1_000_000_000L);
            Thread.sleep(20);
        }
        refusedAuth(auth.authenticate(TestContext.bearer(d.accessToken())), "device_blocked");
    }

    @Test
    void theDevicesApiRefusesWhatItDoesNotOffer() {
        assertThat(devicesCall("POST", "/" + "ab".repeat(32) + "/block")).isEqualTo(404);
        assertThat(devicesCall("GET", "/" + "ab".repeat(32) + "/block")).isEqualTo(405);
        assertThat(devicesCall("PUT", "/" + "ab".repeat(32))).isEqualTo(405);
        assertThat(devicesCall("DELETE", "/not-a-device-id")).isEqualTo(404);
        assertThat(devicesCall("POST", "")).isEqualTo(405);
    }

    @Test
    void aBulkTokenRegistersAtMostItsMaximumOfNewDevices() throws Exception {
        var reply = admin.handle(new AdminCall(
                "POST", "", Map.of(), "{\"lifetime_minutes\": 60, \"max_registrations\": 2}".getBytes(), "alice"));
        assertThat(reply.status()).isEqualTo(200);
        var issued = (Map<?, ?>) reply.json();
        assertThat(issued.get("max_registrations")).isEqualTo(2);
        String bulk = (String) issued.get("token");
        KeyPair first = ec();
        json(call("POST", STS + "/register", bulk, registerBody(first, "pc-1", bulk)));
        json(call("POST", STS + "/register", bulk, registerBody(ec(), "pc-2", bulk)));

        refused(
                call("POST", STS + "/register", bulk, registerBody(ec(), "pc-3", bulk)),
                403,
                "registration_limit_reached");
        assertThat(store.devices()).hasSize(2);
        // A device registered already is not a new one: it still gets a device token.
        json(call("POST", STS + "/register", bulk, registerBody(first, "pc-1", bulk)));
        var row = store.bulk(bulkJti(bulk)).orElseThrow();
        assertThat(row.registrations()).isEqualTo(2);
        var listed = (List<?>) admin.handle(new AdminCall("GET", "", Map.of(), new byte[0], "alice"))
                .json();
        assertThat(listed.toString())
                .contains("state=used up")
                .contains("max_registrations=2")
                .contains("registrations=2");
        // Without a maximum there is no limit.
        String unlimited = newBulkToken(60);
        for (int i = 0; i < 3; i++) {
            json(call("POST", STS + "/register", unlimited, registerBody(ec(), "pc-u" + i, unlimited)));
        }
        assertThat(store.bulk(bulkJti(unlimited)).orElseThrow().maxRegistrations())
                .isNull();
    }

    @Test
    void theMaximumIsAWholeNumberInItsRange() {
        for (String bad : List.of("0", "-1", "1000001", "1.5", "\"3\"")) {
            var reply = admin.handle(
                    new AdminCall("POST", "", Map.of(), ("{\"max_registrations\": " + bad + "}").getBytes(), "alice"));
            assertThat(reply.status()).as(bad).isEqualTo(400);
            assertThat(reply.json().toString()).contains("max_registrations must be a whole number from 1 to 1000000");
        }
    }

    @Test
    void concurrentRegistrationsNeverExceedTheMaximum() throws Exception {
        var issued = (Map<?, ?>)
                admin.handle(new AdminCall("POST", "", Map.of(), "{\"max_registrations\": 5}".getBytes(), "alice"))
                        .json();
        String bulk = (String) issued.get("token");
        var bodies = new ArrayList<String>();
        for (int i = 0; i < 20; i++) {
            bodies.add(registerBody(ec(), "pc-" + i, bulk));
        }
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            var statuses = pool.invokeAll(bodies.stream()
                    .<java.util.concurrent.Callable<Integer>>map(
                            b -> () -> call("POST", STS + "/register", bulk, b).status())
                    .toList());
            long ok = 0;
            for (var f : statuses) {
                ok += f.get() == 200 ? 1 : 0;
            }
            assertThat(ok).isEqualTo(5);
        }
        assertThat(store.devices()).hasSize(5);
        assertThat(store.bulk(bulkJti(bulk)).orElseThrow().registrations()).isEqualTo(5);
    }
}
