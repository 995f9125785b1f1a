package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deny by default, through real TLS with an authenticated device: hostile paths, unmapped paths,
 * bad framing and oversized bodies never reach the forwarder; well-formed requests (custom verbs
 * included) do, in their canonical form.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestFilterTest {

    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";

    Path dir;
    TestPki pki;
    GatewayFixture gw;
    RecordingForwarder forwarder = new RecordingForwarder();
    SSLContext device;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = new GatewayFixture(dir, pki, forwarder);
        gw.trustAndPublish();
        gw.check(gw.cli("settings", "set", "verify-revocation", "off"));
        device = pki.clientContext(pki.device("filter-device"));
    }

    @AfterAll
    void stop() {
        gw.close();
    }

    RawHttps.Reply send(String request) throws Exception {
        return RawHttps.exchange(device, gw.clientPort(), request);
    }

    static Stream<String> hostilePaths() {
        return Stream.of(
                MP + "/..%2f..%2fadmin",
                MP + "/%2e%2e/%2e%2e/admin",
                MP + "/../../SMS_MP",
                MP + "/./x",
                MP + "%2fx",
                MP + "%2Fx",
                MP + "%5cx",
                MP + "\\..\\x",
                MP + "/%252e%252e/x",
                MP + "/%25",
                MP + "/x%00.asp",
                MP + "/x%0d%0aSet-Cookie:a",
                MP + "/%c0%af",
                MP + "/%c0%ae%c0%ae/x",
                MP + "/%e0%80%af",
                MP + "/%u002e%u002e/x",
                MP + ";jsessionid=1",
                MP + "/x;.css",
                MP + "/%3bx",
                MP + "/web.config::$DATA",
                MP + "/x%3a%3a$DATA",
                MP + "//x",
                MP + "/x.",
                MP + "/x%20",
                MP + "/%3f",
                MP + "/%23",
                MP + "/%ff",
                MP + "/%",
                MP + "/%4",
                MP + "/%zz",
                MP + "/..",
                MP + "/x/..%5c..%5cwindows",
                MP + "/%2e",
                MP + "/.%2e/x",
                MP + "/x%09y",
                MP + "/x|y",
                MP + "/x\"y",
                MP + "/x<y",
                MP + "/x{y",
                MP + "/" + "a".repeat(3000));
    }

    @ParameterizedTest
    @MethodSource("hostilePaths")
    void hostilePathsAreRefusedAndNeverForwarded(String path) throws Exception {
        int before = forwarder.forwarded.size();
        var reply = send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).as(reply.head() + "\n" + reply.body()).isIn(400, 414, 431);
        assertThat(forwarder.forwarded).hasSize(before);
    }

    @Test
    void aMappedPathIsForwardedInCanonicalFormWithItsQuery() throws Exception {
        var reply = send("GET /ccm_proxy_mutualauth/72057594037927939/ccm_system/%41bc/req?MPLIST2 HTTP/1.1\r\n"
                + "Host: localhost\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).isEqualTo("forwarded https://mp.corp.example/CCM_System/Abc/req?MPLIST2 0\n");
    }

    @Test
    void anUnmappedPathIs404AndNotForwarded() throws Exception {
        int before = forwarder.forwarded.size();
        for (String p : new String[] {
            "/",
            "/CCM_Proxy_MutualAuth/72057594037927939",
            "/CCM_Proxy_MutualAuth/1/CCM_System",
            MP + "x",
            "/SMS_MP/.sms_aut?MPLIST"
        }) {
            var reply = send("GET " + p + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            assertThat(reply.status()).as(p).isEqualTo(404);
            assertThat(reply.body()).isEqualTo("404 unmapped_path\n");
        }
        assertThat(forwarder.forwarded).hasSize(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"CCM_POST", "BITS_POST", "PROPFIND", "HEAD", "PUT"})
    void customAndStandardVerbsPassAsTheyCame(String method) throws Exception {
        var reply = send(method + " " + MP
                + "/request HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(forwarder.forwarded).anySatisfy(f -> {
            assertThat(f.method()).isEqualTo(method);
            assertThat(f.bodyBytes()).isEqualTo(3);
        });
    }

    @Test
    void aMethodOutsideTheEndpointsAllowListIs405() throws Exception {
        int before = forwarder.forwarded.size();
        var reply = send("DELETE " + MP + "/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).isEqualTo(405);
        assertThat(forwarder.forwarded).hasSize(before);
    }

    @Test
    void aContentLengthOverTheLimitIs413BeforeTheBodyIsRead() throws Exception {
        int before = forwarder.forwarded.size();
        // The endpoint's limit is 1024 bytes; only the header is sent.
        var reply = send("POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000\r\n\r\n");
        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.body()).isEqualTo("413 request_too_large\n");
        assertThat(forwarder.forwarded).hasSize(before);
    }

    @Test
    void aChunkedBodyIsCutWhenItCrossesTheLimit() throws Exception {
        var chunk = "200\r\n" + "x".repeat(0x200) + "\r\n";
        var reply = send("POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk.repeat(3) + "0\r\n\r\n");
        assertThat(reply.status()).isEqualTo(413);
        var small = send("POST " + MP
                + "/request HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + chunk + "0\r\n\r\n");
        assertThat(small.status()).isEqualTo(200);
        assertThat(small.body()).endsWith(" 512\n");
    }

    static Stream<String> badFraming() {
        String target = "POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\n";
        return Stream.of(
                target + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                target + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                target + "Content-Length: 3, 3\r\n\r\nabc",
                target + "Content-Length: -1\r\n\r\n",
                target + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                target + "Transfer-Encoding: identity\r\n\r\n",
                target + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                target + "Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
                "GET " + MP + "/x HTTP/1.1\nHost: localhost\n\n",
                "GET " + MP + "/x HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n",
                "GET " + MP + "/x\r\n\r\n",
                "GET " + MP + "/x HTTP/1.1\r\n\r\n",
                "GET " + MP + "/x HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n\r\n",
                "GET http://evil.example" + MP + "/x HTTP/1.1\r\nHost: localhost\r\n\r\n",
                "GET " + MP + "/x HTTP/1.1\r\nHost: evil.example\r\n\r\n",
                "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\n\r\n",
                "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }

    @ParameterizedTest
    @MethodSource("badFraming")
    void badFramingIsRefusedAndNeverForwarded(String request) throws Exception {
        int before = forwarder.forwarded.size();
        var reply = RawHttps.exchange(device, gw.clientPort(), request.getBytes(StandardCharsets.ISO_8859_1), null);
        assertThat(reply.status()).as(request + "\n->\n" + reply.head()).isBetween(400, 505);
        assertThat(reply.body()).doesNotContain("Exception").doesNotContain("at org.");
        assertThat(forwarder.forwarded).hasSize(before);
    }

    @Test
    void theHealthProbeAnswersWithoutAuthenticationAndSaysNothingElse() throws Exception {
        var reply = RawHttps.exchange(
                pki.clientContext(null),
                gw.clientPort(),
                "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).isEqualTo("ok\n");
        assertThat(reply.head()).doesNotContainIgnoringCase("server:").doesNotContainIgnoringCase("jetty");
    }
}
