package org.opencmg.demo;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.pki.PrivateFiles;

/**
 * A simulated Entra ID tenant for the demo only: an RSA signing key kept in the demo folder and
 * its JWKS served over HTTPS on loopback, so that the Entra ID flow can be tried without a real
 * tenant. Real deployments configure their tenant's JWKS URL instead.
 */
public final class DemoTenant implements AutoCloseable {

    public static final String TENANT_ID = "6f1d3c2a-8b7e-4c1d-9a5f-0e2b4d6c8a10";
    public static final String CLIENT_APP_ID = "3b9e4f1a-2c5d-4e6f-8a7b-1c2d3e4f5a6b";
    public static final String APP_ID_URI = "api://opencmg-demo";

    private final HttpsServer server;

    private DemoTenant(HttpsServer server) {
        this.server = server;
    }

    /** Starts the JWKS endpoint with the demo's key (made in {@code dir} on first use). */
    public static DemoTenant start(Path dir, KeyMaterial tlsKeys) throws Exception {
        RSAKey key = key(dir);
        var server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(tlsKeys.keyStore(), KeyMaterial.TRANSIENT_PASSWORD.toCharArray());
        var ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, new SecureRandom());
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        server.createContext("/" + TENANT_ID + "/discovery/keys", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        server.start();
        return new DemoTenant(server);
    }

    public String jwksUrl() {
        return "https://localhost:" + server.getAddress().getPort() + "/" + TENANT_ID + "/discovery/keys";
    }

    /** The auth-entra plugin's tenants setting for this tenant. */
    public String tenantsSetting() {
        return """
                [{"tenant_id": "%s", "client_app_id": "%s", "app_id_uri": "%s", "jwks_url": "%s"}]""".formatted(TENANT_ID, CLIENT_APP_ID, APP_ID_URI, jwksUrl());
    }

    /** A device token as the tenant would issue it (v1 form), valid for an hour. */
    public static String deviceToken(Path dir, String deviceId) throws Exception {
        RSAKey key = key(dir);
        Instant now = Instant.now();
        var claims = new JWTClaimsSet.Builder()
                .issuer("https://sts.windows.net/" + TENANT_ID + "/")
                .audience(APP_ID_URI)
                .subject(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now.minusSeconds(60)))
                .expirationTime(Date.from(now.plusSeconds(3600)))
                .claim("tid", TENANT_ID)
                .claim("oid", UUID.randomUUID().toString())
                .claim("deviceid", deviceId)
                .claim("appid", CLIENT_APP_ID)
                .claim("ver", "1.0")
                .build();
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .type(JOSEObjectType.JWT)
                        .keyID(key.getKeyID())
                        .build(),
                claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static RSAKey key(Path dir) throws Exception {
        Path file = dir.resolve("entra-tenant-key.json");
        if (Files.exists(file)) {
            return RSAKey.parse(Files.readString(file));
        }
        var gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        var pair = gen.generateKeyPair();
        var key = new RSAKey.Builder((RSAPublicKey) pair.getPublic())
                .privateKey((RSAPrivateKey) pair.getPrivate())
                .keyIDFromThumbprint()
                .build();
        PrivateFiles.create(file, key.toJSONString());
        return key;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static Map<String, String> settings(DemoTenant t, Path caFile) {
        return Map.of(
                "plugins.auth-entra.tenants", t.tenantsSetting(), "plugins.auth-entra.jwks-ca-file", caFile.toString());
    }
}
