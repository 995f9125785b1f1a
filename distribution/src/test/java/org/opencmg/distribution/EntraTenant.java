package org.opencmg.distribution;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * An Entra ID tenant as a gateway sees it: a signing key this test generates, its JWKS served over
 * HTTPS with a certificate of the test PKI, and tokens signed with it. {@link #onboard} tells a
 * gateway about the tenant and publishes an endpoint that accepts Entra devices.
 */
final class EntraTenant implements AutoCloseable {

    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String CLIENT_APP = "9f8e7d6c-5b4a-4321-8765-0123456789ab";
    static final String RESOURCE = "https://ConfigMgrService";

    final RSAKey key;
    final AtomicInteger jwksFetches = new AtomicInteger();
    private final TestPki pki;
    private final HttpsServer jwksServer;

    EntraTenant(TestPki pki) throws Exception {
        this.pki = pki;
        this.key = new RSAKeyGenerator(2048).keyID("entra-key-1").generate();
        this.jwksServer = serve(new JWKSet(key.toPublicJWK()).toString(true));
    }

    /** Sets the tenant and its JWKS trust on the gateway; publishes {@code external} with {@code --auth entra}. */
    void onboard(GatewayFixture gw, String external, String internal, String site) {
        gw.check(gw.cli("settings", "set", "plugins.auth-entra.tenants", """
                [{"tenant_id": "%s", "client_app_id": "%s", "app_id_uri": "%s",
                  "jwks_url": "https://127.0.0.1:%d/%s/discovery/keys"}]""".formatted(
                        TENANT, CLIENT_APP, RESOURCE, jwksServer.getAddress().getPort(), TENANT)));
        gw.check(gw.cli(
                "settings",
                "set",
                "plugins.auth-entra.jwks-ca-file",
                pki.file("root.pem").toString()));
        gw.publish(external, internal, site, "--auth", "entra");
    }

    /** The claims of a good device token of tenant {@code tid}, valid for an hour. */
    JWTClaimsSet.Builder claims(String tid) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer("https://sts.windows.net/" + tid + "/")
                .audience(RESOURCE)
                .claim("tid", tid)
                .claim("oid", "11111111-2222-3333-4444-555555555555")
                .claim("deviceid", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
                .claim("appid", CLIENT_APP)
                .claim("upn", "desktop-42@contoso.example")
                .issueTime(Date.from(now.minusSeconds(60)))
                .notBeforeTime(Date.from(now.minusSeconds(60)))
                .expirationTime(Date.from(now.plus(Duration.ofHours(1))));
    }

    /** RS256 over {@code claims} with {@code signer}'s key ID in the header. */
    static String sign(RSAKey signer, JWTClaimsSet claims) throws Exception {
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .type(JOSEObjectType.JWT)
                        .keyID(signer.getKeyID())
                        .build(),
                claims);
        jwt.sign(new RSASSASigner(signer));
        return jwt.serialize();
    }

    /** A good token of this tenant. */
    String token() throws Exception {
        return sign(key, claims(TENANT).build());
    }

    private HttpsServer serve(String body) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("jwks", pki.server.privateKey(), "pw".toCharArray(), new X509Certificate[] {
            pki.server.certificate(), pki.root.certificate()
        });
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "pw".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        var server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/" + TENANT + "/discovery/keys", exchange -> {
            try (exchange) {
                jwksFetches.incrementAndGet();
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, b.length);
                exchange.getResponseBody().write(b);
            }
        });
        server.start();
        return server;
    }

    @Override
    public void close() {
        jwksServer.stop(0);
    }
}
