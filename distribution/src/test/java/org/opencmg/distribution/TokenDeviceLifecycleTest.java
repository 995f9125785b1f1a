package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token devices end to end, through a running gateway, connection point and management point,
 * with the real auth-token plugin JAR and the CLI as an administrator and a device would use it:
 * bulk token → register → device token → access token → ccm_system_tokenauth.
 */
class TokenDeviceLifecycleTest {

    @TempDir
    static Path tmp;

    static TokenTopology topology;

    @BeforeAll
    static void start() throws Exception {
        topology = TokenTopology.start(tmp.resolve("demo"));
    }

    @AfterAll
    static void stop() {
        if (topology != null) {
            topology.close();
        }
    }

    TokenTopology.Run cli(String... args) {
        return topology.cli(args);
    }

    String demo() {
        return topology.dir.toString();
    }

    /** {@code cmg token new}: the ID from the first line, the token from the last; written to a file as a user would. */
    record Bulk(String id, String token, Path file) {}

    Bulk newBulkToken(String... options) throws Exception {
        var args = new java.util.ArrayList<>(java.util.List.of("token", "new", "--demo", demo()));
        args.addAll(java.util.List.of(options));
        var run = cli(args.toArray(String[]::new));
        assertThat(run.code()).as(run.all()).isZero();
        String id = run.out()
                .lines()
                .findFirst()
                .orElseThrow()
                .replaceAll(".*ID: ", "")
                .strip();
        String token = run.lastLine();
        assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
        Path file = tmp.resolve("bulk-" + id + ".jwt");
        Files.writeString(file, token + "\n");
        return new Bulk(id, token, file);
    }

    /** A registered device with an access token, through the CLI. */
    Path registeredDevice(String name) throws Exception {
        Path identity = tmp.resolve("device-" + name);
        var reg = cli(
                "device",
                "register",
                "--bulk-token",
                newBulkToken().file().toString(),
                "--out",
                identity.toString(),
                "--name",
                name,
                "--demo",
                demo());
        assertThat(reg.code()).as(reg.all()).isZero();
        var token = cli("device", "token", "--identity", identity.toString());
        assertThat(token.code()).as(token.all()).isZero();
        return identity;
    }

    static String read(Path file) throws Exception {
        return Files.readString(file).strip();
    }

    @Test
    void aTokenDeviceGoesFromABulkTokenToTheManagementPoint() throws Exception {
        Bulk bulk = newBulkToken();
        var claims = SignedJWT.parse(bulk.token()).getJWTClaimsSet();
        assertThat(claims.getJWTID()).isEqualTo(bulk.id());
        assertThat(Duration.between(
                        claims.getNotBeforeTime().toInstant(),
                        claims.getExpirationTime().toInstant()))
                .hasMinutes(4_320);
        var list = cli("token", "list", "--demo", demo());
        assertThat(list.out()).contains(bulk.id()).contains("active").doesNotContain(bulk.token());

        Path identity = tmp.resolve("lifecycle");
        var reg = cli(
                "device",
                "register",
                "--bulk-token",
                bulk.file().toString(),
                "--out",
                identity.toString(),
                "--name",
                "laptop-lifecycle",
                "--demo",
                demo());
        assertThat(reg.code()).as(reg.all()).isZero();
        assertThat(reg.out())
                .contains("> POST " + topology.clientUrl() + "/CCM_Proxy_ServerAuth/" + topology.roleId()
                        + "/CCM_STS/register")
                .contains("< 200 OK")
                .contains("registered device")
                .doesNotContain(bulk.token());
        String deviceToken = read(identity.resolve("device-token.jwt"));
        String deviceId = SignedJWT.parse(deviceToken).getJWTClaimsSet().getSubject();
        assertThat(deviceId).matches("[0-9a-f]{64}");
        assertThat(reg.out()).contains("registered device " + deviceId);
        for (String f : new String[] {"device-key.pem", "device-token.jwt"}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(identity.resolve(f))))
                    .as(f)
                    .isEqualTo("rw-------");
        }
        var deviceClaims = SignedJWT.parse(deviceToken).getJWTClaimsSet();
        assertThat(deviceClaims.getClaim("Type")).isEqualTo("DeviceToken");
        assertThat(Duration.between(
                        deviceClaims.getNotBeforeTime().toInstant(),
                        deviceClaims.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofDays(90));

        var token = cli("device", "token", "--identity", identity.toString());
        assertThat(token.code()).as(token.all()).isZero();
        assertThat(token.out()).contains("/CCM_STS/token").contains("< 200 OK").contains("valid for 28800 s");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(identity.resolve("access-token.jwt"))))
                .isEqualTo("rw-------");
        var access = SignedJWT.parse(read(identity.resolve("access-token.jwt"))).getJWTClaimsSet();
        assertThat(access.getSubject()).isEqualTo(deviceId);
        assertThat(access.getClaim("auth")).isEqualTo("token");

        var get = cli(
                "device",
                "get",
                "--identity",
                identity.toString(),
                "-X",
                "CCM_POST",
                "--data",
                "hello",
                "ccm_system_tokenauth/request");
        assertThat(get.code()).as(get.all()).isZero();
        assertThat(get.err())
                .contains("> CCM_POST " + topology.clientUrl() + "/CCM_Proxy_ServerAuth/" + topology.roleId()
                        + "/ccm_system_tokenauth/request")
                .contains("< 200 OK");
        // The management point was told who the device is and how it authenticated.
        assertThat(get.out()).contains("<Reply site=\"PS1\" device=\"token:" + deviceId + "\" bytes=\"5\">");

        var renew = cli("device", "renew", "--identity", identity.toString());
        assertThat(renew.code()).as(renew.all()).isZero();
        assertThat(renew.out()).contains("/CCM_STS/renew").contains("< 200 OK");
        assertThat(read(identity.resolve("device-token.jwt"))).isNotEqualTo(deviceToken);
        assertThat(cli("device", "token", "--identity", identity.toString()).code())
                .isZero();
        assertThat(topology.admin().get("devices").toString())
                .contains(deviceId)
                .contains("laptop-lifecycle")
                .contains(bulk.id());
    }

    @Test
    void aBlockedBulkTokenIsRefusedAtRegistrationUntilUnblocked() throws Exception {
        Bulk bulk = newBulkToken("--lifetime", "60");
        var block = cli("token", "block", bulk.id(), "--demo", demo());
        assertThat(block.code()).as(block.all()).isZero();
        assertThat(cli("token", "list", "--demo", demo()).out()).containsPattern(bulk.id() + "\\s+blocked");

        Path identity = tmp.resolve("blocked");
        var reg = cli(
                "device",
                "register",
                "--bulk-token",
                bulk.file().toString(),
                "--out",
                identity.toString(),
                "--demo",
                demo());
        assertThat(reg.code()).as(reg.all()).isEqualTo(1);
        assertThat(reg.out()).contains("< 401 token_blocked");
        assertThat(reg.err()).contains("refused: 401 token_blocked").contains("cmg token unblock");
        assertThat(identity.resolve("device-token.jwt")).doesNotExist();
        assertThat(topology.demo.gateway().refusals().counts()).containsKey("401 token_blocked");

        assertThat(cli("token", "unblock", bulk.id(), "--demo", demo()).code()).isZero();
        var again = cli(
                "device",
                "register",
                "--bulk-token",
                bulk.file().toString(),
                "--out",
                identity.toString(),
                "--demo",
                demo());
        assertThat(again.code()).as(again.all()).isZero();

        assertThat(cli("token", "block", UUID.randomUUID().toString(), "--demo", demo())
                        .code())
                .isEqualTo(1);
    }

    /** A registration body for {@code key}, with a proof signed by {@code signer} over the bulk token's ID and that key's ID. */
    static String registration(KeyPair key, String name, PrivateKey signer, String bulkId) throws Exception {
        String spki = Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(key.getPublic().getEncoded());
        String deviceId = HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(key.getPublic().getEncoded()));
        var jws = new JWSObject(
                new JWSHeader(JWSAlgorithm.ES256),
                new Payload(Map.of(
                        "jti",
                        bulkId,
                        "device_id",
                        deviceId,
                        "iat",
                        Instant.now().getEpochSecond())));
        jws.sign(new ECDSASigner((ECPrivateKey) signer));
        return JSONObjectUtils.toJSONString(Map.of(
                "public_key",
                "-----BEGIN PUBLIC KEY-----\n" + spki + "\n-----END PUBLIC KEY-----\n",
                "name",
                name,
                "proof",
                jws.serialize()));
    }

    static KeyPair p256() throws Exception {
        var gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    @Test
    void aBulkTokenHolderCannotRegisterAnotherDevicesPublicKey() throws Exception {
        KeyPair victim = p256();
        Bulk first = newBulkToken();
        var ok = topology.send(
                "POST",
                "CCM_STS/register",
                first.token(),
                registration(victim, "victim-laptop", victim.getPrivate(), first.id()));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);

        // The review's recipe: the victim's public key, without the victim's private key.
        Bulk second = newBulkToken();
        String noProof = JSONObjectUtils.toJSONString(Map.of(
                "public_key",
                JSONObjectUtils.parse(registration(victim, "x", victim.getPrivate(), second.id()))
                        .get("public_key"),
                "name",
                "attacker-box"));
        var r = topology.send("POST", "CCM_STS/register", second.token(), noProof);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("401 invalid_proof\n");
        r = topology.send(
                "POST",
                "CCM_STS/register",
                second.token(),
                registration(victim, "attacker-box", p256().getPrivate(), second.id()));
        assertThat(r.body()).isEqualTo("401 invalid_proof\n");
        // The victim's own proof names the bulk token it was made for.
        r = topology.send(
                "POST",
                "CCM_STS/register",
                second.token(),
                registration(victim, "attacker-box", victim.getPrivate(), first.id()));
        assertThat(r.body()).isEqualTo("401 invalid_proof\n");

        String devices = topology.admin().get("devices").toString();
        assertThat(devices).contains("victim-laptop").doesNotContain("attacker-box");
        assertThat(topology.demo.gateway().refusals().counts()).containsKey("401 invalid_proof");
    }

    @Test
    void anAdministratorBlocksAndDeletesATokenDevice() throws Exception {
        Path identity = registeredDevice("stolen-laptop");
        String deviceId = SignedJWT.parse(read(identity.resolve("device-token.jwt")))
                .getJWTClaimsSet()
                .getSubject();
        String path = "ccm_system_tokenauth/request";
        assertThat(cli("device", "get", "--identity", identity.toString(), "-X", "CCM_POST", "--data", "x", path)
                        .code())
                .isZero();

        var block = cli("token", "device", "block", deviceId, "--demo", demo());
        assertThat(block.code()).as(block.all()).isZero();
        assertThat(block.out()).contains("blocked device " + deviceId + " (stolen-laptop)");
        assertThat(cli("token", "device", "list", "--demo", demo()).out())
                .containsPattern(deviceId + "\\s+stolen-laptop\\s+blocked");
        // The access token, the device token and the key: none of them gets the device anywhere.
        var get = cli("device", "get", "--identity", identity.toString(), "-X", "CCM_POST", "--data", "x", path);
        assertThat(get.code()).isEqualTo(1);
        assertThat(get.err()).contains("< 401 device_blocked").contains("an administrator blocked this device");
        assertThat(cli("device", "token", "--identity", identity.toString()).out())
                .contains("< 401 device_blocked");
        assertThat(cli("device", "renew", "--identity", identity.toString()).out())
                .contains("< 401 device_blocked");
        assertThat(topology.demo.gateway().refusals().counts()).containsKey("401 device_blocked");

        assertThat(cli("token", "device", "unblock", deviceId, "--demo", demo()).code())
                .isZero();
        assertThat(cli("device", "get", "--identity", identity.toString(), "-X", "CCM_POST", "--data", "x", path)
                        .code())
                .isZero();

        var delete = cli("token", "device", "delete", deviceId, "--demo", demo());
        assertThat(delete.code()).as(delete.all()).isZero();
        assertThat(delete.out()).contains("deleted device " + deviceId);
        get = cli("device", "get", "--identity", identity.toString(), "-X", "CCM_POST", "--data", "x", path);
        assertThat(get.err()).contains("< 401 device_deleted");
        assertThat(topology.admin().get("devices").toString()).doesNotContain(deviceId);
        assertThat(topology.admin().get("audit?limit=50").toString())
                .contains("token.device_block")
                .contains("token.device_delete");
        assertThat(cli("token", "device", "delete", deviceId, "--demo", demo()).code())
                .isEqualTo(1);
    }

    @Test
    void aBulkTokenWithAMaximumRegistersNoMoreDevicesThanThat() throws Exception {
        Bulk bulk = newBulkToken("--max-registrations", "1");
        assertThat(cli("token", "list", "--demo", demo()).out()).containsPattern(bulk.id() + "\\s+active");
        var first = cli(
                "device",
                "register",
                "--bulk-token",
                bulk.file().toString(),
                "--out",
                tmp.resolve("quota-1").toString(),
                "--demo",
                demo());
        assertThat(first.code()).as(first.all()).isZero();
        var second = cli(
                "device",
                "register",
                "--bulk-token",
                bulk.file().toString(),
                "--out",
                tmp.resolve("quota-2").toString(),
                "--demo",
                demo());
        assertThat(second.code()).isEqualTo(1);
        assertThat(second.out()).contains("< 403 registration_limit_reached");
        assertThat(second.err()).contains("has registered as many devices as it may");
        assertThat(cli("token", "list", "--demo", demo()).out()).containsPattern(bulk.id() + "\\s+used up");
        assertThat(topology.demo.gateway().refusals().counts()).containsKey("403 registration_limit_reached");
        var bad = cli("token", "new", "--max-registrations", "0", "--demo", demo());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("max_registrations must be a whole number from 1 to 1000000");
    }

    @Test
    void eachPathFamilyWantsItsOwnKindOfCredential() throws Exception {
        Path identity = registeredDevice("families");
        String role = topology.roleId();

        // A ServerAuth path with a client certificate but no token: 401.
        var cert = cli(
                "device",
                "get",
                "--demo",
                demo(),
                "--cert",
                topology.clientCert().toString(),
                "--key",
                topology.clientKey().toString(),
                "-X",
                "CCM_POST",
                "--data",
                "x",
                "/CCM_Proxy_ServerAuth/" + role + "/ccm_system_tokenauth/request");
        assertThat(cert.code()).as(cert.all()).isEqualTo(1);
        assertThat(cert.err()).contains("< 401 token_required");

        // A MutualAuth path with only a token: 403.
        var token = cli(
                "device",
                "get",
                "--identity",
                identity.toString(),
                "-X",
                "CCM_POST",
                "--data",
                "x",
                "/CCM_Proxy_MutualAuth/" + role + "/CCM_System/request");
        assertThat(token.code()).as(token.all()).isEqualTo(1);
        assertThat(token.err()).contains("< 403 client_certificate_required");

        // The same certificate on its own family passes.
        var mutual = cli(
                "device",
                "get",
                "--demo",
                demo(),
                "--cert",
                topology.clientCert().toString(),
                "--key",
                topology.clientKey().toString(),
                "-X",
                "CCM_POST",
                "--data",
                "x",
                "CCM_System/request");
        assertThat(mutual.code()).as(mutual.all()).isZero();
        assertThat(mutual.out()).contains("device=\"pki:");

        // A device token is for the token service only; a bulk token only registers.
        String deviceToken = read(identity.resolve("device-token.jwt"));
        var r = topology.send("CCM_POST", "ccm_system_tokenauth/request", deviceToken, "x");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("401 token_required\n");
        Bulk bulk = newBulkToken();
        r = topology.send("POST", "CCM_STS/token", bulk.token(), "{}");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("401 device_token_required\n");
        r = topology.send("GET", "CCM_STS", deviceToken, null);
        assertThat(r.statusCode()).isEqualTo(405);
        r = topology.send("POST", "CCM_STS/token", null, "{}");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("401 no_credentials\n");
    }

    @Test
    void aSigningKeyRolloverKeepsExistingTokensValid() throws Exception {
        Path identity = registeredDevice("rollover");
        String oldDeviceToken = read(identity.resolve("device-token.jwt"));
        String oldAccessToken = read(identity.resolve("access-token.jwt"));
        String oldKid = SignedJWT.parse(oldDeviceToken).getHeader().getKeyID();

        var rotate = cli("token", "rotate-signing-key", "--demo", demo());
        assertThat(rotate.code()).as(rotate.all()).isZero();
        assertThat(rotate.out()).contains("new token signing key").doesNotContain(oldKid);
        assertThat(topology.admin().get("audit?limit=50").toString()).contains("token.rotate_signing_key");

        // The access token from before still reaches the management point...
        var get = cli(
                "device",
                "get",
                "--identity",
                identity.toString(),
                "-X",
                "CCM_POST",
                "--data",
                "x",
                "ccm_system_tokenauth/request");
        assertThat(get.code()).as(get.all()).isZero();
        // ...the device token from before still gets an access token, now signed with the new key...
        var token = cli("device", "token", "--identity", identity.toString());
        assertThat(token.code()).as(token.all()).isZero();
        String newAccess = read(identity.resolve("access-token.jwt"));
        assertThat(newAccess).isNotEqualTo(oldAccessToken);
        assertThat(SignedJWT.parse(newAccess).getHeader().getKeyID()).isNotEqualTo(oldKid);
        assertThat(cli(
                                "device",
                                "get",
                                "--identity",
                                identity.toString(),
                                "-X",
                                "CCM_POST",
                                "--data",
                                "x",
                                "ccm_system_tokenauth/request")
                        .code())
                .isZero();
        // ...and renews.
        var renew = cli("device", "renew", "--identity", identity.toString());
        assertThat(renew.code()).as(renew.all()).isZero();
        assertThat(SignedJWT.parse(read(identity.resolve("device-token.jwt")))
                        .getHeader()
                        .getKeyID())
                .isNotEqualTo(oldKid);
    }

    @Test
    void expiredForgedAndWrongAudienceTokensAreRefusedWithReasonCodes() throws Exception {
        Path identity = registeredDevice("refusals");
        String deviceId = SignedJWT.parse(read(identity.resolve("device-token.jwt")))
                .getJWTClaimsSet()
                .getSubject();
        var site = topology.siteKey();
        Instant now = Instant.now();
        JWTClaimsSet good = new JWTClaimsSet.Builder()
                .issuer(site.issuer())
                .audience("urn:sccm:service")
                .jwtID(UUID.randomUUID().toString())
                .subject(deviceId)
                .claim("Type", "AccessToken")
                .claim("auth", "token")
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600)))
                .build();
        String path = "ccm_system_tokenauth/request";

        // Genuine: made with the site's key, it passes (so what follows fails for the one reason each changes).
        var ok = topology.send("CCM_POST", path, TokenTopology.sign(good, site.kid(), site.key()), "x");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);

        var expired = new JWTClaimsSet.Builder(good)
                .notBeforeTime(Date.from(now.minusSeconds(7200)))
                .expirationTime(Date.from(now.minusSeconds(3600)))
                .build();
        expectRefusal(path, TokenTopology.sign(expired, site.kid(), site.key()), "token_expired");

        var notYet = new JWTClaimsSet.Builder(good)
                .notBeforeTime(Date.from(now.plusSeconds(3600)))
                .expirationTime(Date.from(now.plusSeconds(7200)))
                .build();
        expectRefusal(path, TokenTopology.sign(notYet, site.kid(), site.key()), "token_not_yet_valid");

        var wrongAudience = new JWTClaimsSet.Builder(good)
                .audience("https://ConfigMgrService")
                .build();
        expectRefusal(path, TokenTopology.sign(wrongAudience, site.kid(), site.key()), "invalid_token");

        var gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        var forger = gen.generateKeyPair().getPrivate();
        expectRefusal(path, TokenTopology.sign(good, site.kid(), forger), "invalid_token");
        expectRefusal(path, TokenTopology.sign(good, "unknown-kid", forger), "invalid_token");
        expectRefusal(path, "garbage", "invalid_token");

        // An expired bulk token cannot register.
        var expiredBulk = new JWTClaimsSet.Builder(expired)
                .subject(null)
                .claim("Type", "BulkRegistration")
                .claim("SCCMTokenCategory", "SCCMPreAuthToken")
                .claim("auth", null)
                .build();
        var r = topology.send(
                "POST", "CCM_STS/register", TokenTopology.sign(expiredBulk, site.kid(), site.key()), "{}");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("401 token_expired\n");

        // The CLI explains it too.
        Files.writeString(
                identity.resolve("access-token.jwt"), TokenTopology.sign(expired, site.kid(), site.key()) + "\n");
        var get = cli("device", "get", "--identity", identity.toString(), "-X", "CCM_POST", "--data", "x", path);
        assertThat(get.code()).isEqualTo(1);
        assertThat(get.err())
                .contains("< 401 token_expired")
                .contains("refused: 401 token_expired: the token has expired");
    }

    private static void expectRefusal(String path, String token, String reason) throws Exception {
        var r = topology.send("CCM_POST", path, token, "x");
        assertThat(r.statusCode()).as(reason).isEqualTo(401);
        assertThat(r.body()).isEqualTo("401 " + reason + "\n").doesNotContain(token);
    }

    @Test
    void theDeviceCommandsTellUsageAndReachabilityProblemsFromRefusals() throws Exception {
        var noCredential = cli("device", "get", "--demo", demo(), "ccm_system_tokenauth/request");
        assertThat(noCredential.code()).isEqualTo(2);
        assertThat(noCredential.err()).contains("--identity DIR").contains("--cert FILE --key FILE");

        var noIdentity =
                cli("device", "token", "--identity", tmp.resolve("nowhere").toString());
        assertThat(noIdentity.code()).isEqualTo(2);
        assertThat(noIdentity.err()).contains("identity.json");

        var noGateway = cli(
                "device",
                "register",
                "--bulk-token",
                newBulkToken().file().toString(),
                "--out",
                tmp.resolve("nogateway").toString());
        assertThat(noGateway.code()).isEqualTo(2);
        assertThat(noGateway.err()).contains("--gateway");

        int closedPort;
        try (var s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        var unreachable = cli(
                "device",
                "register",
                "--bulk-token",
                newBulkToken().file().toString(),
                "--out",
                tmp.resolve("unreachable").toString(),
                "--gateway",
                "https://localhost:" + closedPort,
                "--ca",
                topology.ca().toString(),
                "--role-id",
                topology.roleId());
        assertThat(unreachable.code()).isEqualTo(2);
        assertThat(unreachable.err()).contains("cannot reach the gateway");

        // A gateway whose certificate the device does not trust (no --ca: the JDK's roots).
        var untrusted = cli(
                "device",
                "register",
                "--bulk-token",
                newBulkToken().file().toString(),
                "--out",
                tmp.resolve("untrusted").toString(),
                "--gateway",
                topology.clientUrl(),
                "--role-id",
                topology.roleId());
        assertThat(untrusted.code()).isEqualTo(2);
        assertThat(untrusted.err()).contains("TLS handshake");
    }

    @Test
    void aBulkTokenLivesAtMostSevenDays() throws Exception {
        var tooLong = cli("token", "new", "--lifetime", "10081", "--demo", demo());
        assertThat(tooLong.code()).as(tooLong.all()).isEqualTo(1);
        assertThat(tooLong.err()).contains("refused (400)").contains("10080");
        assertThat(tooLong.out()).isEmpty();

        Bulk week = newBulkToken("--lifetime", "10080");
        var claims = SignedJWT.parse(week.token()).getJWTClaimsSet();
        assertThat(Duration.between(
                        claims.getNotBeforeTime().toInstant(),
                        claims.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofDays(7));
    }
}
