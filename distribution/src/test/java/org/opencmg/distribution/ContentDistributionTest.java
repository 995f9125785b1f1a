package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.cli.CmgCommand;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.secrets.MasterKey;
import org.opencmg.server.secrets.SecretStore;
import org.opencmg.server.store.Database;

/**
 * The cloud distribution point with the filesystem store, through a real gateway with the
 * role-content plugin loaded from its JAR: {@code cmg content upload} (streamed) → content access
 * token → getcontentxmlsecure → signed URLs → ranged downloads with hash check; a cut download
 * resumed with Range and If-Range; altered and expired URLs refused with their reasons; a storage
 * key rotation in the middle of a download does not break it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContentDistributionTest {

    static final String PKG = "ABC00012";
    static final Pattern FILE =
            Pattern.compile("<File Name=\"([^\"]+)\" Size=\"(\\d+)\" Sha256=\"([0-9a-f]{64})\" Url=\"([^\"]+)\"/>");

    record Located(String name, long size, String sha256, String url) {}

    Path dir;
    TestPki pki;
    GatewayFixture gw;
    HttpClient http;
    Path big;
    Path small;
    String token;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = GatewayFixture.withChannels(dir, pki);
        http = HttpClient.newBuilder()
                .sslContext(pki.clientContext(null))
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        gw.check(gw.cli(
                "settings",
                "set",
                "plugins.role-content.fs-root",
                dir.resolve("content-store").toString()));
        big = dir.resolve("payload.bin");
        small = dir.resolve("readme.txt");
        byte[] data = new byte[5 * 1024 * 1024 + 123];
        new Random(42).nextBytes(data);
        Files.write(big, data);
        Files.writeString(small, "hello content\n");
    }

    @AfterAll
    void stop() {
        if (http != null) {
            http.close();
        }
        if (gw != null) {
            gw.close();
        }
    }

    String[] cmg(String... args) {
        return cmg(dir, args);
    }

    /** {@code cmg ARGS --demo DIR}: exit code, stdout, stderr. */
    static String[] cmg(Path dir, String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var all = new ArrayList<>(List.of(args));
        all.add("--demo");
        all.add(dir.toString());
        int code = CmgCommand.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    HttpResponse<byte[]> get(String url, String... headers) throws Exception {
        return send("GET", url, headers);
    }

    HttpResponse<byte[]> send(String method, String url, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    List<Located> locate() throws Exception {
        var r = get(
                gw.clientUrl("/downloadrestservice.svc/getcontentxmlsecure?pid=" + PKG
                                + "&cid=content_1&tid=GUID:1234&alg=1.2.840.113549.1.1.11")
                        .toString(),
                "Authorization",
                "Bearer " + token);
        String body = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as(body).isEqualTo(200);
        var out = new ArrayList<Located>();
        Matcher m = FILE.matcher(body);
        while (m.find()) {
            out.add(new Located(
                    m.group(1),
                    Long.parseLong(m.group(2)),
                    m.group(3),
                    m.group(4).replace("&amp;", "&")));
        }
        return out;
    }

    Located payload() throws Exception {
        return locate().stream()
                .filter(l -> l.name().equals("payload.bin"))
                .findFirst()
                .orElseThrow();
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    @Order(1)
    void uploadListAndLocate() throws Exception {
        var up = cmg("content", "upload", big.toString(), "--package", PKG);
        assertThat(up[0]).as(up[1] + up[2]).isEqualTo("0");
        assertThat(up[1]).contains("version 1").contains(sha256(Files.readAllBytes(big)));
        assertThat(up[2]).contains("100%"); // the progress bar
        var second = cmg("content", "upload", small.toString(), "--package", PKG, "--version", "1");
        assertThat(second[0]).as(second[1] + second[2]).isEqualTo("0");
        var again = cmg("content", "upload", small.toString(), "--package", PKG, "--version", "1");
        assertThat(again[0]).isEqualTo("1");
        assertThat(again[2]).contains("409").contains("already has a file readme.txt");

        var list = cmg("content", "list");
        assertThat(list[1]).contains(PKG + " version 1").contains("payload.bin").contains("readme.txt");

        // No token, a garbage token: refused with reasons, before anything is located.
        var none = get(gw.clientUrl("/downloadrestservice.svc/getcontentxmlsecure?pid=" + PKG)
                .toString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(new String(none.body(), StandardCharsets.UTF_8)).contains("content_token_missing");

        var tok = cmg("content", "token", "--package", PKG);
        assertThat(tok[0]).as(tok[2]).isEqualTo("0");
        String[] lines = tok[1].strip().split("\n");
        token = lines[lines.length - 1].strip();

        var wrong = get(
                gw.clientUrl("/downloadrestservice.svc/getcontentxmlsecure?pid=OTHER001")
                        .toString(),
                "Authorization",
                "Bearer " + token);
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(new String(wrong.body(), StandardCharsets.UTF_8)).contains("content_token_wrong_package");

        var located = locate();
        assertThat(located).extracting(Located::name).containsExactly("payload.bin", "readme.txt");
        for (Located l : located) {
            assertThat(l.url())
                    .startsWith(gw.clientUrl("/content/" + PKG + "/1/").toString())
                    .contains("se=")
                    .contains("kid=")
                    .contains("sig=");
            var r = get(l.url());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).hasSize((int) l.size());
            assertThat(sha256(r.body())).isEqualTo(l.sha256());
            assertThat(r.headers().firstValue("ETag")).hasValue("\"" + l.sha256() + "\"");
        }
    }

    @Test
    @Order(2)
    void headRangesAndRefusals() throws Exception {
        Located l = payload();
        var head = send("HEAD", l.url());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).hasValue(Long.toString(l.size()));
        assertThat(head.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        assertThat(head.body()).isEmpty();

        byte[] all = Files.readAllBytes(big);
        var part = get(l.url(), "Range", "bytes=100-199");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 100-199/" + l.size());
        assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(all, 100, 200));

        var suffix = get(l.url(), "Range", "bytes=-10");
        assertThat(suffix.statusCode()).isEqualTo(206);
        assertThat(suffix.body()).isEqualTo(java.util.Arrays.copyOfRange(all, all.length - 10, all.length));

        var multi = get(l.url(), "Range", "bytes=0-1,5-6");
        assertThat(multi.statusCode()).isEqualTo(416);
        assertThat(new String(multi.body(), StandardCharsets.UTF_8)).contains("multiple_ranges_unsupported");
        assertThat(multi.headers().firstValue("Content-Range")).hasValue("bytes */" + l.size());
        var beyond = get(l.url(), "Range", "bytes=" + l.size() + "-");
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */" + l.size());
        assertThat(new String(beyond.body(), StandardCharsets.UTF_8)).contains("range_not_satisfiable");

        // If-Range with another ETag: the whole file, not the range.
        var stale = get(l.url(), "Range", "bytes=0-9", "If-Range", "\"0000\"");
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.body()).hasSize(all.length);

        // Altered URLs: another path, a longer expiry, a changed signature, no signature.
        String otherPath = l.url().replace("/payload.bin?", "/readme.txt?");
        String longer = l.url().replaceAll("se=(\\d+)", "se=9999999999");
        char last = l.url().charAt(l.url().length() - 1);
        String badSig = l.url().substring(0, l.url().length() - 1) + (last == 'A' ? 'B' : 'A');
        String noSig = l.url().substring(0, l.url().indexOf('?'));
        for (String u : List.of(otherPath, longer, badSig, noSig)) {
            var r = get(u);
            assertThat(r.statusCode()).as(u).isEqualTo(403);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(u).contains("signature_invalid");
        }

        // Expired: a genuine signature (made with the real storage key) whose time is over.
        String path = "/content/" + PKG + "/1/payload.bin";
        long se = Instant.now().minusSeconds(60).getEpochSecond();
        var key = storageKey();
        var expired = get(gw.clientUrl(path + "?se=" + se + "&kid=" + key.version() + "&sig="
                        + mac(key.bytes(), path, se, key.version()))
                .toString());
        assertThat(expired.statusCode()).isEqualTo(403);
        assertThat(new String(expired.body(), StandardCharsets.UTF_8)).contains("signature_expired");
    }

    /** The status line of GET {@code url} over exactly {@code protocol}. */
    String getOver(String protocol, String url) throws Exception {
        URI u = URI.create(url);
        try (var socket = (javax.net.ssl.SSLSocket)
                pki.clientContext(null).getSocketFactory().createSocket("127.0.0.1", u.getPort())) {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {protocol});
            socket.startHandshake();
            socket.getOutputStream()
                    .write(("GET " + u.getRawPath() + "?" + u.getRawQuery() + " HTTP/1.1\r\nHost: localhost\r\n"
                                    + "Range: bytes=0-0\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)
                    .lines()
                    .findFirst()
                    .orElse("");
        }
    }

    @Test
    @Order(2)
    void enforceTls12AppliesToTheContentEndpoint() throws Exception {
        Located l = payload();
        assertThat(getOver("TLSv1.2", l.url())).isEqualTo("HTTP/1.1 206 Partial Content");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> getOver("TLSv1.1", l.url()))
                .isInstanceOf(javax.net.ssl.SSLException.class);
        gw.check(gw.cli("settings", "set", "enforce-tls12", "off"));
        try {
            assertThat(getOver("TLSv1.1", l.url())).isEqualTo("HTTP/1.1 206 Partial Content");
        } finally {
            gw.check(gw.cli("settings", "set", "enforce-tls12", "on"));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> getOver("TLSv1.1", l.url()))
                .isInstanceOf(javax.net.ssl.SSLException.class);
    }

    @Test
    @Order(3)
    void cutDownloadResumesAcrossAKeyRotation() throws Exception {
        Located l = payload();
        String kidBefore = l.url().replaceAll(".*kid=(\\d+).*", "$1");
        int cut = 1024 * 1024 + 7;
        byte[] first;
        String etag;
        // A download broken off after ~1 MiB: the device closes the connection.
        var resp = http.send(
                HttpRequest.newBuilder(URI.create(l.url())).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        etag = resp.headers().firstValue("ETag").orElseThrow();
        try (InputStream in = resp.body()) {
            first = in.readNBytes(cut);
        }
        assertThat(first).hasSize(cut);

        // The administrator rotates the storage key meanwhile.
        var rot = cmg("content", "rotate-key");
        assertThat(rot[0]).as(rot[2]).isEqualTo("0");
        assertThat(rot[1]).contains("previous key stays valid until");

        // The device resumes with the URL it was given (signed with the previous key).
        var rest = get(l.url(), "Range", "bytes=" + cut + "-", "If-Range", etag);
        assertThat(rest.statusCode()).isEqualTo(206);
        byte[] whole = new byte[first.length + rest.body().length];
        System.arraycopy(first, 0, whole, 0, first.length);
        System.arraycopy(rest.body(), 0, whole, first.length, rest.body().length);
        assertThat(sha256(whole)).isEqualTo(l.sha256());

        // New locations are signed with the new key, and work too.
        Located after = payload();
        assertThat(after.url().replaceAll(".*kid=(\\d+).*", "$1")).isNotEqualTo(kidBefore);
        assertThat(sha256(get(after.url()).body())).isEqualTo(l.sha256());
    }

    @Test
    @Order(4)
    void removeMakesUrlsUseless() throws Exception {
        Located l = payload();
        var rm = cmg("content", "remove", PKG);
        assertThat(rm[0]).as(rm[2]).isEqualTo("0");
        var r = get(l.url());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("content_not_found");
        assertThat(cmg("content", "list")[1]).contains("no content");
        try (var files = Files.walk(dir.resolve("content-store"))) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    // ---- the real storage key, read from the secret store as another gateway instance would ----

    org.opencmg.api.SecretValue storageKey() throws Exception {
        GatewayConfig config = GatewayConfig.load(dir.resolve("gateway.yaml"));
        try (Database db = Database.open(config.database())) {
            var store = new SecretStore(
                    new Jdbc(db.dataSource()),
                    MasterKey.load(
                            System.getenv(config.secrets().masterKeyEnv()),
                            config.secrets().masterKeyFile()),
                    (actor, action, target, detail) -> {},
                    Clock.systemUTC());
            return store.current("plugin.role-content.storage-key").orElseThrow();
        }
    }

    static String mac(byte[] key, String path, long se, int kid) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(mac.doFinal((path + "\n" + se + "\n" + kid).getBytes(StandardCharsets.UTF_8)));
    }
}
