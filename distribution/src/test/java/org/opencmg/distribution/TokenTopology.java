package org.opencmg.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.opencmg.api.Jdbc;
import org.opencmg.cli.CmgCommand;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.demo.Demo;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.secrets.MasterKey;
import org.opencmg.server.secrets.SecretStore;
import org.opencmg.server.store.Database;

/**
 * A whole topology in this JVM for token devices: {@link Demo} (dev PKI, gateway with the real
 * plugin JARs, connection point, sample management point that echoes the device identity it is
 * told), plus what a test needs beyond what a user has: the CLI with captured output, a plain
 * HTTPS client for the client connector, and the site's real token signing key read from the
 * secret store (to make expired or wrong-audience tokens that are otherwise genuine).
 */
final class TokenTopology implements AutoCloseable {

    record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }

        /** The last non-empty line of stdout. */
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    final Path dir;
    final Demo demo;
    final JsonNode demoJson;
    private final HttpClient http;

    private TokenTopology(Path dir, Demo demo) throws Exception {
        this.dir = dir;
        this.demo = demo;
        this.demoJson = new ObjectMapper().readTree(dir.resolve("demo.json").toFile());
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyMaterial.trustStore(ca()));
        var ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        this.http = HttpClient.newBuilder()
                .sslContext(ctx)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    static TokenTopology start(Path dir) throws Exception {
        return new TokenTopology(
                dir,
                Demo.start(dir, new Demo.Ports(0, 0, 0), GatewayFixture.home().resolve("plugins")));
    }

    String clientUrl() {
        return demoJson.path("client_url").asText();
    }

    Path ca() {
        return dir.resolve(demoJson.path("ca_cert").asText());
    }

    String roleId() {
        return demoJson.path("mp_role_id").asText();
    }

    Path clientCert() {
        return dir.resolve(demoJson.path("client_cert").asText());
    }

    Path clientKey() {
        return dir.resolve(demoJson.path("client_key").asText());
    }

    AdminClient admin() throws Exception {
        return AdminClient.from(dir);
    }

    /** The real CLI, in this JVM, as a user types it. */
    Run cli(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = CmgCommand.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A request to the client connector; {@code path} under /CCM_Proxy_ServerAuth/&lt;role id&gt;/ unless it starts with /. */
    HttpResponse<String> send(String method, String path, String bearer, String body) throws Exception {
        String p = path.startsWith("/") ? path : "/CCM_Proxy_ServerAuth/" + roleId() + "/" + path;
        var b = HttpRequest.newBuilder(URI.create(clientUrl() + p))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---- the site's real signing key, from the secret store (as another gateway instance would read it) ----

    record SiteKey(String kid, PrivateKey key, String issuer) {}

    SiteKey siteKey() throws Exception {
        GatewayConfig config = GatewayConfig.load(dir.resolve("gateway.yaml"));
        try (Database db = Database.open(config.database())) {
            var store = new SecretStore(
                    new Jdbc(db.dataSource()),
                    MasterKey.load(
                            System.getenv(config.secrets().masterKeyEnv()),
                            config.secrets().masterKeyFile()),
                    (actor, action, target, detail) -> {},
                    Clock.systemUTC());
            byte[] der =
                    store.current("plugin.auth-token.signing-key").orElseThrow().bytes();
            String siteId = new String(
                    store.current("plugin.auth-token.site-id").orElseThrow().bytes(), StandardCharsets.US_ASCII);
            var kf = KeyFactory.getInstance("RSA");
            var priv = (RSAPrivateCrtKey) kf.generatePrivate(new PKCS8EncodedKeySpec(der));
            var pub = kf.generatePublic(new RSAPublicKeySpec(priv.getModulus(), priv.getPublicExponent()));
            String kid = Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(pub.getEncoded()));
            return new SiteKey(kid, priv, "urn:sccm:oauth2:" + siteId);
        }
    }

    static String sign(JWTClaimsSet claims, String kid, PrivateKey key) throws Exception {
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .type(JOSEObjectType.JWT)
                        .keyID(kid)
                        .build(),
                claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Override
    public void close() {
        http.close();
        demo.close();
    }
}
