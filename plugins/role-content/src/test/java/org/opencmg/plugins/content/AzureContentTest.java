package org.opencmg.plugins.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminReply;
import org.opencmg.api.ContentStore;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.opencmg.testkit.Azurite;

/**
 * The Azure Blob content store against a real Azurite: blocks staged and committed, ranged reads,
 * SAS URLs that Azurite itself accepts or refuses, and the key1/key2 rotation.
 */
class AzureContentTest {

    static final Pattern URL = Pattern.compile("Url=\"([^\"]+)\"");

    @TempDir
    static Path azuriteDir;

    static Azurite azurite;
    static HttpClient http;
    static int containers;

    TestContext ctx;
    ContentAdmin admin;
    LocationService location;

    @BeforeAll
    static void startAzurite() throws IOException {
        azurite = Azurite.start(azuriteDir);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stopAzurite() {
        if (http != null) {
            http.close();
        }
        if (azurite != null) {
            azurite.close();
        }
    }

    @BeforeEach
    void setUp() {
        ctx = new TestContext();
        ctx.clock.set(Instant.now()); // Azurite checks SAS expiry against the real clock
        ctx.settings.put("plugins.role-content.store", "azure-blob");
        ctx.settings.put("plugins.role-content.azure-endpoint", azurite.endpoint());
        ctx.settings.put("plugins.role-content.azure-container", "test-" + (++containers));
        admin = new ContentAdmin(ctx);
        location = new LocationService(ctx);
    }

    AdminReply call(String method, String sub, Map<String, String> query, String body) {
        return admin.handle(new AdminCall(method, sub, query, body.getBytes(StandardCharsets.US_ASCII), "admin"));
    }

    void storeBothKeys() {
        assertThat(call("PUT", "/azure-keys/1", Map.of(), azurite.key1()).status())
                .isEqualTo(200);
        assertThat(call("PUT", "/azure-keys/2", Map.of(), azurite.key2()).status())
                .isEqualTo(200);
    }

    AdminReply upload(String pid, String name, byte[] body) {
        return admin.handle(new AdminCall(
                "POST", "/" + pid + "/files/" + name, Map.of(), new byte[0], "admin", new ByteArrayInputStream(body)));
    }

    List<URI> locate(String pid) throws Exception {
        var r = admin.handle(new AdminCall("POST", "/" + pid + "/token", Map.of(), new byte[0], "admin"));
        String token = (String) ((Map<?, ?>) r.json()).get("token");
        ServiceResponse answer = location.handle(new ServiceRequest(
                "GET",
                "/downloadrestservice.svc/getcontentxmlsecure",
                "pid=" + pid,
                Map.of("pid", pid),
                Map.of("Host", "cmg.example", "Authorization", "Bearer " + token),
                new byte[0],
                List.of(),
                null));
        assertThat(answer.reason()).as(answer.headers().toString()).isNull();
        String xml = new String(answer.body(), StandardCharsets.UTF_8);
        assertThat(xml).contains("Store=\"azure-blob\"");
        var out = new ArrayList<URI>();
        Matcher m = URL.matcher(xml);
        while (m.find()) {
            out.add(URI.create(m.group(1).replace("&amp;", "&")));
        }
        return out;
    }

    static HttpResponse<byte[]> get(URI url, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void theStoreStagesBlocksAndReadsRanges() throws Exception {
        storeBothKeys();
        var store = new Content(ctx).store();
        assertThat(store.kind()).isEqualTo("azure-blob");
        byte[] data = random(AzureBlobStore.BLOCK * 2 + 1000, 1); // three blocks, the last one short
        var stored = store.put("P1/1/big.bin", new ByteArrayInputStream(data));
        assertThat(stored.size()).isEqualTo(data.length);
        assertThat(stored.sha256Hex()).isEqualTo(sha256(data));
        assertThat(store.head("P1/1/big.bin").map(ContentStore.BlobInfo::size)).hasValue((long) data.length);
        try (InputStream in = store.get("P1/1/big.bin", AzureBlobStore.BLOCK - 10, 20)) {
            assertThat(in.readAllBytes())
                    .isEqualTo(Arrays.copyOfRange(data, AzureBlobStore.BLOCK - 10, AzureBlobStore.BLOCK + 10));
        }
        store.put("P1/1/empty", InputStream.nullInputStream());
        assertThat(store.head("P1/1/empty").map(ContentStore.BlobInfo::size)).hasValue(0L);
        assertThat(store.list("P1/")).containsExactly("P1/1/big.bin", "P1/1/empty");
        assertThat(store.delete("P1/1/empty")).isTrue();
        assertThat(store.delete("P1/1/empty")).isFalse();
        assertThat(store.head("P1/1/empty")).isEmpty();
        assertThatThrownBy(() -> store.put("../x", InputStream.nullInputStream()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBrokenUploadLeavesNoBlob() throws Exception {
        storeBothKeys();
        var store = new Content(ctx).store();
        byte[] data = random(AzureBlobStore.BLOCK + 5000, 2);
        InputStream breaking = new InputStream() {
            int left = data.length - 100;
            final ByteArrayInputStream in = new ByteArrayInputStream(data);

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    throw new IOException("connection reset by the uploader");
                }
                int n = in.read(b, off, Math.min(len, left));
                left -= n;
                return n;
            }
        };
        assertThatThrownBy(() -> store.put("P2/1/cut.bin", breaking)).isInstanceOf(IOException.class);
        assertThat(store.head("P2/1/cut.bin")).isEmpty();
        assertThat(store.list("P2/")).isEmpty();
    }

    @Test
    void devicesDownloadWithSasUrlsStraightFromStorage() throws Exception {
        storeBothKeys();
        byte[] data = random(300_000, 3);
        var up = upload("PKGA", "setup.bin", data);
        assertThat(up.status()).as(up.json().toString()).isEqualTo(201);
        assertThat(up.json().toString()).contains("azure-blob").contains(sha256(data));

        URI url = locate("PKGA").getFirst();
        assertThat(url.toString())
                .startsWith(azurite.endpoint() + "/test-")
                .contains("/PKGA/1/setup.bin?")
                .contains("sig=")
                .contains("sp=r")
                .contains("se=");
        var whole = get(url);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(sha256(whole.body())).isEqualTo(sha256(data));
        var part = get(url, "Range", "bytes=1000-1999");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(data, 1000, 2000));

        // Read-only: the same SAS cannot write.
        var put = http.send(
                HttpRequest.newBuilder(url)
                        .header("x-ms-blob-type", "BlockBlob")
                        .PUT(HttpRequest.BodyPublishers.ofString("evil"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(403);

        // Altered: another blob with the same signature, or a changed signature.
        String other = url.toString().replace("/setup.bin?", "/other.bin?");
        assertThat(get(URI.create(other)).statusCode()).isEqualTo(403);
        String altered = url.toString().replaceAll("sig=[^&]+", "sig=AAAA" + "B".repeat(39) + "%3D");
        assertThat(get(URI.create(altered)).statusCode()).isEqualTo(403);

        // Expired: signed at a time whose URLs expired an hour ago.
        ctx.clock.set(Instant.now().minus(Duration.ofHours(9)));
        URI expired = locate("PKGA").getFirst();
        assertThat(get(expired).statusCode()).isEqualTo(403);
    }

    @Test
    void rotationMovesSigningToTheOtherKeyAndTheOldUrlsKeepWorking() throws Exception {
        assertThat(call("PUT", "/azure-keys/1", Map.of(), "not base64!").status())
                .isEqualTo(400);
        storeBothKeys();
        byte[] data = random(50_000, 4);
        assertThat(upload("PKGR", "r.bin", data).status()).isEqualTo(201);
        URI before = locate("PKGR").getFirst();
        var firstHalf = get(before, "Range", "bytes=0-24999");
        assertThat(firstHalf.statusCode()).isEqualTo(206);
        String etag = firstHalf.headers().firstValue("ETag").orElseThrow();
        assertThat(call("PUT", "/azure-keys/1", Map.of(), Azurite.randomKey())
                        .json()
                        .toString())
                .contains("signs content URLs now"); // the active key is not replaced under the URLs it signed

        var rotated = call("POST", "/rotate-key", Map.of(), "");
        assertThat(rotated.status()).isEqualTo(200);
        assertThat(rotated.json().toString()).contains("kid=key2").contains("regenerate=key1");
        assertThat(ctx.audit)
                .anyMatch(a -> a.contains("content.rotate-key azure-key2") && a.contains("key1 may be regenerated"));
        URI after = locate("PKGR").getFirst();
        assertThat(after).isNotEqualTo(before);
        // The download begun before the rotation finishes with its old URL.
        var secondHalf = get(before, "Range", "bytes=25000-", "If-Range", etag);
        assertThat(secondHalf.statusCode()).isEqualTo(206);
        byte[] joined = Arrays.copyOf(firstHalf.body(), data.length);
        System.arraycopy(secondHalf.body(), 0, joined, 25_000, secondHalf.body().length);
        assertThat(sha256(joined)).isEqualTo(sha256(data));
        assertThat(get(before).statusCode()).isEqualTo(200);
        assertThat(get(after).statusCode()).isEqualTo(200);

        // key1 signed URLs that are still valid: replacing it now is refused, unless forced.
        var early = call("PUT", "/azure-keys/1", Map.of(), Azurite.randomKey());
        assertThat(early.status()).isEqualTo(409);
        assertThat(early.json().toString()).contains("valid until");

        var keys = call("GET", "/keys", Map.of(), "");
        assertThat(keys.json().toString())
                .contains("kid=key1")
                .contains("state=retired")
                .contains("kid=key2")
                .contains("state=active")
                .doesNotContain(azurite.key1())
                .doesNotContain(azurite.key2());

        // Azure now forgets key1 (regenerated): only URLs signed with key2 still work.
        azurite.restart(List.of(azurite.key2()));
        try {
            assertThat(get(after).statusCode()).isEqualTo(200);
            assertThat(get(before).statusCode()).isEqualTo(403);
        } finally {
            azurite.restart(List.of(azurite.key1(), azurite.key2()));
        }
    }

    @Test
    void aStoreThatIsNotConfiguredIsRefusedClearly() throws Exception {
        var up = upload("PKGX", "x.bin", new byte[10]);
        assertThat(up.status()).isEqualTo(503);
        assertThat(up.json().toString()).contains("no Azure storage account key");
        assertThat(call("POST", "/rotate-key", Map.of(), "").status()).isEqualTo(409);

        ctx.settings.put("plugins.role-content.azure-endpoint", "");
        storeBothKeys();
        assertThat(upload("PKGX", "x.bin", new byte[10]).json().toString()).contains("azure-endpoint is not set");
        ctx.settings.put("plugins.role-content.azure-endpoint", azurite.endpoint());
        ctx.settings.put("plugins.role-content.store", "s3");
        assertThat(upload("PKGX", "x.bin", new byte[10]).json().toString()).contains("filesystem or azure-blob");

        // A wrong key: Azure refuses the gateway's own calls, and the upload says so (502, not 400).
        ctx.settings.put("plugins.role-content.store", "azure-blob");
        var other = new TestContext();
        other.clock.set(Instant.now());
        other.settings.putAll(ctx.settings);
        var otherAdmin = new ContentAdmin(other);
        otherAdmin.handle(new AdminCall(
                "PUT", "/azure-keys/1", Map.of(), Azurite.randomKey().getBytes(StandardCharsets.US_ASCII), "admin"));
        var refused = otherAdmin.handle(new AdminCall(
                "POST", "/PKGW/files/w.bin", Map.of(), new byte[0], "admin", new ByteArrayInputStream(new byte[10])));
        assertThat(refused.status()).isEqualTo(502);
        assertThat(refused.json().toString()).contains("403");
    }
}
