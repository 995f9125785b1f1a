package org.opencmg.cli.client;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.opencmg.pki.PemFiles;
import org.opencmg.server.json.Json;

/**
 * Talks to a gateway's admin REST API. Where it is and how to log in comes from {@code --demo DIR}
 * (its demo.json) or from CMG_ADMIN_URL, CMG_ADMIN_CREDENTIALS (user:password) and CMG_ADMIN_CA
 * (a PEM file of the CA that issued the admin connector's certificate).
 */
public final class AdminClient {

    /** The API answered with an error status. */
    public static final class ApiException extends IOException {
        public final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static final ObjectMapper JSON = Json.MAPPER;

    private final URI base;
    private final String authorization;
    private final HttpClient http;

    AdminClient(URI base, String user, String password, Path caFile) throws IOException, GeneralSecurityException {
        this.base = base;
        this.authorization =
                "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        var builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (caFile != null) {
            builder.sslContext(trusting(caFile));
        }
        this.http = builder.build();
    }

    private AdminClient(URI base, String authorization, HttpClient http) {
        this.base = base;
        this.authorization = authorization;
        this.http = http;
    }

    /** The same login and trust at another admin API (another gateway instance's). */
    public AdminClient at(URI otherBase) {
        return new AdminClient(otherBase, authorization, http);
    }

    public URI base() {
        return base;
    }

    public static AdminClient of(URI base, String user, String password, Path caFile)
            throws IOException, GeneralSecurityException {
        return new AdminClient(base, user, password, caFile);
    }

    public static AdminClient from(Path demoDir) throws IOException, GeneralSecurityException {
        if (demoDir != null) {
            JsonNode demo = JSON.readTree(demoDir.resolve("demo.json").toFile());
            return new AdminClient(
                    URI.create(demo.path("admin_url").asText()),
                    demo.path("admin_user").asText(),
                    demo.path("admin_password").asText(),
                    demoDir.resolve(demo.path("ca_cert").asText()));
        }
        String url = System.getenv("CMG_ADMIN_URL");
        String credentials = System.getenv("CMG_ADMIN_CREDENTIALS");
        if (url == null || credentials == null || !credentials.contains(":")) {
            throw new IOException(
                    "no admin API: pass --demo DIR, or set CMG_ADMIN_URL and CMG_ADMIN_CREDENTIALS (user:password)");
        }
        String ca = System.getenv("CMG_ADMIN_CA");
        int colon = credentials.indexOf(':');
        return new AdminClient(
                URI.create(url),
                credentials.substring(0, colon),
                credentials.substring(colon + 1),
                ca == null ? null : Path.of(ca));
    }

    private static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        int i = 0;
        for (X509Certificate c : PemFiles.readCertificates(caFile)) {
            ks.setCertificateEntry("ca" + i++, c);
        }
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    public JsonNode get(String path) throws IOException {
        return send(request(path).GET());
    }

    /** A GET answered with text rather than JSON ({@code accept}: its media type), such as the exported configuration. */
    public String getText(String path, String accept) throws IOException {
        return exchange(request(path).setHeader("Accept", accept).GET()).body();
    }

    public JsonNode post(String path, byte[] body, String contentType) throws IOException {
        return send(
                request(path).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /**
     * POSTs a file as application/octet-stream, streamed from disk (any size, constant memory);
     * {@code progress} is told the bytes sent so far.
     */
    public JsonNode postFile(String path, Path file, LongConsumer progress) throws IOException {
        long size = Files.size(file);
        HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        return new CountingInputStream(Files.newInputStream(file), progress);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }),
                size);
        return send(request(path)
                .timeout(Duration.ofHours(6))
                .header("Content-Type", "application/octet-stream")
                .POST(publisher));
    }

    /** Tells {@code progress} the bytes read so far. */
    private static final class CountingInputStream extends FilterInputStream {
        private final LongConsumer progress;
        private long count;

        CountingInputStream(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                progress.accept(++count);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
                progress.accept(count);
            }
            return n;
        }
    }

    public JsonNode put(String path, byte[] body, String contentType) throws IOException {
        return send(
                request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** {@code PUT /api/settings/NAME} with {"value": VALUE}. */
    public JsonNode putSetting(String name, String value) throws IOException {
        return put(
                "settings/" + encode(name),
                JSON.writeValueAsBytes(JSON.createObjectNode().put("value", value)),
                "application/json");
    }

    public JsonNode delete(String path) throws IOException {
        return send(request(path).DELETE());
    }

    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve("/api/" + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization)
                .header("Accept", "application/json");
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException {
        var response = exchange(request);
        return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }

    /** The answer of a 2xx; an error status is an ApiException with the API's message. */
    private HttpResponse<String> exchange(HttpRequest.Builder request) throws IOException {
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (IOException e) {
            throw new IOException("cannot reach the admin API at " + base + ": " + e.getMessage(), e);
        }
        if (response.statusCode() >= 300) {
            JsonNode body;
            try {
                body = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
            } catch (JacksonException e) {
                body = JSON.createObjectNode();
            }
            throw new ApiException(response.statusCode(), body.path("error").asText("HTTP " + response.statusCode()));
        }
        return response;
    }

    public static byte[] readFile(Path file) throws IOException {
        return Files.readAllBytes(file);
    }
}
