package org.opencmg.plugins.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminReply;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;

class ContentServicesTest {

    static final Pattern URL = Pattern.compile("Url=\"([^\"]+)\"");

    @TempDir
    Path root;

    TestContext ctx;
    ContentAdmin admin;
    LocationService location;
    DownloadService download;
    byte[] data;

    @BeforeEach
    void setUp() {
        ctx = new TestContext();
        ctx.settings.put("plugins.role-content.fs-root", root.toString());
        admin = new ContentAdmin(ctx);
        location = new LocationService(ctx);
        download = new DownloadService(ctx);
        data = new byte[200_000];
        new Random(3).nextBytes(data);
    }

    AdminReply upload(String pid, String name, Integer version, byte[] body) {
        String sub = "/" + pid + "/files/" + name;
        assertThat(admin.streamsBody("POST", sub)).isTrue();
        Map<String, String> q = version == null ? Map.of() : Map.of("version", version.toString());
        return admin.handle(new AdminCall("POST", sub, q, new byte[0], "admin", new ByteArrayInputStream(body)));
    }

    String token(String pid) {
        var r = admin.handle(new AdminCall("POST", "/" + pid + "/token", Map.of(), new byte[0], "admin"));
        assertThat(r.status()).isEqualTo(201);
        return (String) ((Map<?, ?>) r.json()).get("token");
    }

    ServiceResponse locate(String pid, String bearer) throws Exception {
        var headers = new LinkedHashMap<String, String>();
        headers.put("Host", "cmg.example:443");
        if (bearer != null) {
            headers.put("Authorization", "Bearer " + bearer);
        }
        return location.handle(new ServiceRequest(
                "GET",
                "/downloadrestservice.svc/getcontentxmlsecure",
                "pid=" + pid,
                Map.of("pid", pid),
                headers,
                new byte[0],
                List.of(),
                null));
    }

    List<URI> urls(ServiceResponse r) {
        assertThat(r.reason()).isNull();
        var out = new ArrayList<URI>();
        Matcher m = URL.matcher(new String(r.body(), StandardCharsets.UTF_8));
        while (m.find()) {
            out.add(URI.create(m.group(1).replace("&amp;", "&")));
        }
        return out;
    }

    ServiceResponse fetch(String method, URI url, String... headers) throws Exception {
        var params = new LinkedHashMap<String, String>();
        for (String kv : url.getRawQuery().split("&")) {
            params.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        var h = new LinkedHashMap<String, String>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return download.handle(new ServiceRequest(
                method, url.getRawPath(), url.getRawQuery(), params, h, new byte[0], List.of(), null));
    }

    static byte[] body(ServiceResponse r) throws Exception {
        try (InputStream in = r.stream().open()) {
            byte[] b = in.readAllBytes();
            assertThat(b).hasSize((int) r.stream().length());
            return b;
        }
    }

    @Test
    void uploadLocateDownload() throws Exception {
        var up = upload("PKG1", "a.bin", null, data);
        assertThat(up.status()).isEqualTo(201);
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        @SuppressWarnings("unchecked")
        var json = (Map<String, Object>) up.json();
        assertThat(json)
                .containsEntry("version", 1)
                .containsEntry("sha256", sha)
                .containsEntry("size", 200_000L);
        assertThat(upload("PKG1", "b.txt", 1, "hi".getBytes()).status()).isEqualTo(201);
        assertThat(upload("PKG1", "b.txt", 1, "again".getBytes()).status()).isEqualTo(409);
        assertThat(upload("PKG1", ".hidden", 1, "x".getBytes()).status()).isEqualTo(400);
        assertThat(ctx.audit).anyMatch(a -> a.contains("content.upload PKG1/1/a.bin"));

        var list = admin.handle(new AdminCall("GET", "", Map.of(), new byte[0], "admin"));
        assertThat(list.json().toString()).contains("a.bin").contains(sha).contains("b.txt");

        var urls = urls(locate("PKG1", token("PKG1")));
        assertThat(urls).hasSize(2);
        URI a = urls.getFirst();
        assertThat(a.toString()).startsWith("https://cmg.example:443/content/PKG1/1/a.bin?se=");
        var whole = fetch("GET", a);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.headers()).containsEntry("ETag", "\"" + sha + "\"");
        assertThat(body(whole)).isEqualTo(data);
        var part = fetch("GET", a, "Range", "bytes=10-19", "If-Range", "\"" + sha + "\"");
        assertThat(part.status()).isEqualTo(206);
        assertThat(part.headers()).containsEntry("Content-Range", "bytes 10-19/200000");
        assertThat(body(part)).isEqualTo(java.util.Arrays.copyOfRange(data, 10, 20));
        assertThat(fetch("GET", a, "Range", "bytes=0-1,4-5").reason()).isEqualTo("multiple_ranges_unsupported");
        assertThat(fetch("GET", a, "Range", "bytes=200000-").reason()).isEqualTo("range_not_satisfiable");
        assertThat(fetch("GET", a, "Range", "bytes=5-1").reason()).isEqualTo("range_malformed");
        assertThat(fetch("PUT", a).status()).isEqualTo(405);
    }

    ServiceResponse askToken(String pid, org.opencmg.api.Device... devices) {
        return new ContentTokenService(ctx)
                .handle(new ServiceRequest(
                        "GET",
                        "/downloadrestservice.svc/contentaccesstoken",
                        "pid=" + pid,
                        Map.of("pid", pid),
                        Map.of(),
                        new byte[0],
                        List.of(devices),
                        null));
    }

    @Test
    void lastModifiedIsAnImfFixdateWithATwoDigitDay() throws Exception {
        // RFC 9110 5.6.7: "Thu, 03 Dec 2026", never the "Thu, 3 Dec 2026" of the JDK's RFC_1123_DATE_TIME.
        ctx.clock.set(java.time.Instant.parse("2026-12-03T08:05:09Z"));
        assertThat(upload("PKG9", "a.bin", null, "x".getBytes()).status()).isEqualTo(201);
        var answer = fetch("HEAD", urls(locate("PKG9", token("PKG9"))).getFirst());
        assertThat(answer.headers()).containsEntry("Last-Modified", "Thu, 03 Dec 2026 08:05:09 GMT");
        assertThat(DownloadService.httpDate(java.time.Instant.parse("2026-11-29T23:59:59.900Z")))
                .isEqualTo("Sun, 29 Nov 2026 23:59:59 GMT");
    }

    @Test
    void devicesThatProvedWhoTheyAreGetContentTokens() throws Exception {
        assertThat(upload("PKGT", "a.bin", null, data).status()).isEqualTo(201);
        var pkiDevice = new org.opencmg.api.Device("thumb", "pki", "CN=laptop", Map.of());
        var answer = askToken("PKGT", pkiDevice);
        assertThat(answer.status()).isEqualTo(200);
        String json = new String(answer.body(), StandardCharsets.UTF_8);
        String token = json.replaceAll("(?s).*\"token\":\"([^\"]+)\".*", "$1");
        assertThat(urls(locate("PKGT", token))).hasSize(1);

        // Registration credentials do not fetch content; unknown packages and bad IDs are refused.
        var bulk = new org.opencmg.api.Device("b1", "token-bulk", "bulk", Map.of());
        assertThat(askToken("PKGT", bulk).reason()).isEqualTo("device_credential_required");
        assertThat(askToken("PKGT").reason()).isEqualTo("device_credential_required");
        assertThat(askToken("NOPE", pkiDevice).reason()).isEqualTo("package_not_found");
        assertThat(askToken("../x", pkiDevice).reason()).isEqualTo("bad_package_id");
    }

    @Test
    void tokensAreChecked() throws Exception {
        upload("PKG1", "a.bin", null, data);
        upload("PKG2", "a.bin", null, data);
        assertThat(locate("PKG1", null).reason()).isEqualTo("content_token_missing");
        assertThat(locate("PKG1", "garbage").reason()).isEqualTo("content_token_invalid");
        String t = token("PKG1");
        assertThat(locate("PKG2", t).reason()).isEqualTo("content_token_wrong_package");
        String tampered = t.substring(0, t.length() - 2) + (t.endsWith("AA") ? "BB" : "AA");
        assertThat(locate("PKG1", tampered).reason()).isEqualTo("content_token_invalid");
        ctx.clock.advance(Duration.ofHours(24).plusSeconds(1));
        assertThat(locate("PKG1", t).reason()).isEqualTo("content_token_expired");
        assertThat(locate("NOPE", token("PKG1")).reason()).isEqualTo("content_token_wrong_package");
    }

    @Test
    void signaturesExpireAndRotationKeepsOldUrlsUntilTheyExpire() throws Exception {
        upload("PKG1", "a.bin", null, data);
        URI old = urls(locate("PKG1", token("PKG1"))).getFirst();
        URI tampered = URI.create(old.toString().replace("/a.bin?", "/b.bin?"));
        assertThat(fetch("GET", tampered).reason()).isEqualTo("signature_invalid");

        var rot = admin.handle(new AdminCall("POST", "/rotate-key", Map.of(), new byte[0], "alice"));
        assertThat(rot.status()).isEqualTo(200);
        assertThat(ctx.audit).anyMatch(a -> a.contains("alice") && a.contains("content.rotate-key"));
        assertThat(ctx.audit).anyMatch(a -> a.contains("alice secret.rotate storage-key"));
        URI fresh = urls(locate("PKG1", token("PKG1"))).getFirst();
        assertThat(fresh.getRawQuery()).contains("kid=2");
        assertThat(fetch("GET", old).status()).isEqualTo(200); // signed with key 1, still valid

        ctx.clock.advance(Duration.ofHours(4));
        fresh = urls(locate("PKG1", token("PKG1"))).getFirst();
        ctx.clock.advance(Duration.ofHours(4).plusSeconds(1));
        assertThat(fetch("GET", old).reason()).isEqualTo("signature_expired");
        assertThat(fetch("GET", fresh).status()).isEqualTo(200);
        ctx.clock.advance(Duration.ofMinutes(6)); // key 1 retired: its URLs are no longer genuine at all
        assertThat(fetch("GET", old).reason()).isEqualTo("signature_invalid");
    }

    @Test
    void theStorageKeyIsRotatedWhenOlderThanTheSetting() throws Exception {
        upload("PKG1", "a.bin", null, data);
        URI first = urls(locate("PKG1", token("PKG1"))).getFirst();
        assertThat(first.getRawQuery()).contains("kid=1");
        ctx.clock.advance(Duration.ofDays(180).minusHours(1));
        URI before = urls(locate("PKG1", token("PKG1"))).getFirst();
        assertThat(before.getRawQuery()).contains("kid=1");
        ctx.clock.advance(Duration.ofHours(1));
        URI after = urls(locate("PKG1", token("PKG1"))).getFirst();
        assertThat(after.getRawQuery()).contains("kid=2");
        assertThat(ctx.audit)
                .anyMatch(a -> a.startsWith("plugin:role-content content.rotate-key") && a.contains("scheduled"));
        assertThat(fetch("GET", before).status()).isEqualTo(200); // signed a moment ago with key 1: still good
        assertThat(urls(locate("PKG1", token("PKG1"))).getFirst().getRawQuery()).contains("kid=2"); // rotated once

        ctx.settings.put("plugins.role-content.key-rotation-days", "0");
        ctx.clock.advance(Duration.ofDays(400));
        assertThat(urls(locate("PKG1", token("PKG1"))).getFirst().getRawQuery()).contains("kid=2");
    }

    @Test
    void removeDeletesCatalogAndBlobs() throws Exception {
        upload("PKG1", "a.bin", null, data);
        upload("PKG1", "a.bin", null, data); // version 2
        URI u = urls(locate("PKG1", token("PKG1"))).getFirst();
        assertThat(u.getPath()).isEqualTo("/content/PKG1/2/a.bin");
        var r = admin.handle(new AdminCall("DELETE", "/PKG1", Map.of("version", "2"), new byte[0], "admin"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(fetch("GET", u).reason()).isEqualTo("content_not_found");
        assertThat(urls(locate("PKG1", token("PKG1"))).getFirst().getPath()).isEqualTo("/content/PKG1/1/a.bin");
        assertThat(admin.handle(new AdminCall("DELETE", "/PKG1", Map.of(), new byte[0], "admin"))
                        .status())
                .isEqualTo(200);
        assertThat(admin.handle(new AdminCall("DELETE", "/PKG1", Map.of(), new byte[0], "admin"))
                        .status())
                .isEqualTo(404);
        assertThat(new FsContentStore(root).list("")).isEmpty();
    }

    @Test
    void rangeParsing() throws Exception {
        assertThat(DownloadService.parse("bytes=0-", 10)).isEqualTo(new DownloadService.Range(0, 9));
        assertThat(DownloadService.parse("bytes=3-100", 10)).isEqualTo(new DownloadService.Range(3, 9));
        assertThat(DownloadService.parse("bytes=-3", 10)).isEqualTo(new DownloadService.Range(7, 9));
        assertThat(DownloadService.parse("bytes=-30", 10)).isEqualTo(new DownloadService.Range(0, 9));
        assertThatThrownBy(() -> DownloadService.parse("items=0-1", 10))
                .hasFieldOrPropertyWithValue("reason", Refusal.RANGE_UNIT_UNSUPPORTED);
        assertThatThrownBy(() -> DownloadService.parse("bytes=-0", 10))
                .hasFieldOrPropertyWithValue("reason", Refusal.RANGE_NOT_SATISFIABLE);
        assertThatThrownBy(() -> DownloadService.parse("bytes=x-1", 10))
                .hasFieldOrPropertyWithValue("reason", Refusal.RANGE_MALFORMED);
    }
}
