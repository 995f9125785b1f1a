package org.opencmg.plugins.entra;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.opencmg.pki.CertificateBuilder;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.PemFiles;

/**
 * Publishes tenants' JWKS over HTTPS on 127.0.0.1 as Entra ID does
 * ({@code /<tid>/discovery/keys}), with a certificate from a CA of its own (written to
 * {@link #caFile}), and counts the fetches of each.
 */
final class JwksServer implements AutoCloseable {

    final Path caFile;
    private final HttpsServer https;
    private final Map<String, List<JWK>> published = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
    private volatile boolean failing;

    JwksServer(Path dir) throws Exception {
        IssuedCertificate ca = CertificateBuilder.rootCa("JWKS Test Root").build();
        IssuedCertificate cert = CertificateBuilder.leaf("jwks", ca)
                .serverAuth()
                .dnsNames("localhost")
                .ipAddresses("127.0.0.1")
                .build();
        caFile = dir.resolve("jwks-ca.pem");
        PemFiles.writeCertificates(caFile, List.of(ca.certificate()));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("jwks", cert.privateKey(), "pw".toCharArray(), new X509Certificate[] {
            cert.certificate(), ca.certificate()
        });
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "pw".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        https = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(ctx));
        https.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                String tenant = path.split("/")[1];
                fetches.computeIfAbsent(tenant, t -> new AtomicInteger()).incrementAndGet();
                List<JWK> keys = published.get(tenant);
                if (failing || keys == null || !path.equals("/" + tenant + "/discovery/keys")) {
                    exchange.sendResponseHeaders(failing ? 500 : 404, -1);
                    return;
                }
                byte[] body = new JWKSet(keys).toString(true).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (IOException | RuntimeException e) {
                // the client went away
            }
        });
        https.start();
    }

    String url(String tenant) {
        return "https://127.0.0.1:" + https.getAddress().getPort() + "/" + tenant + "/discovery/keys";
    }

    /** Publishes these keys (their public parts) as the tenant's JWKS, replacing what was there. */
    void publish(String tenant, JWK... keys) {
        published.put(
                tenant, java.util.Arrays.stream(keys).map(JWK::toPublicJWK).toList());
    }

    /** How often the tenant's JWKS was requested. */
    int fetches(String tenant) {
        AtomicInteger n = fetches.get(tenant);
        return n == null ? 0 : n.get();
    }

    /** While on, every request is answered 500. */
    void failing(boolean on) {
        failing = on;
    }

    @Override
    public void close() {
        https.stop(0);
    }
}
