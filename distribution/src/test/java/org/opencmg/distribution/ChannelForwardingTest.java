package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencmg.connectionpoint.LinkStatus;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.Thumbprints;

/**
 * Device → gateway → connection point → internal server and back, everything real: mutual TLS on
 * both sides, the HTTP/2 channel the connection point dialled, mappings replicated over it, and an
 * HTTPS internal server that reports exactly what reached it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChannelForwardingTest {

    static final String SITE = "PS1";
    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";
    static final String UNREACHABLE = "/CCM_Proxy_MutualAuth/72057594037927939/Unreachable";
    static final String ORPHAN = "/CCM_Proxy_MutualAuth/72057594037927950/CCM_System";

    Path dir;
    TestPki pki;
    InternalServer site;
    GatewayFixture gw;
    ConnectionPointFixture cp;
    IssuedCertificate deviceCert;
    DeviceClient device;
    List<AutoCloseable> extra = new ArrayList<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        site = new InternalServer(pki);
        gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki);
        gw.trustTestDevices();
        gw.publish(MP, site.url("/internal/CCM_System"), SITE, "--role", "mp"); // its site sees the headers mp declares
        gw.publish(UNREACHABLE, "https://localhost:" + GatewayFixture.freePort() + "/gone", SITE);
        gw.publish(ORPHAN, site.url("/orphan"), "NOBODY");
        cp = new ConnectionPointFixture(dir, pki, "cp-main", SITE)
                .register(gw)
                .start(gw.channelUrl())
                .awaitUp();
        deviceCert = pki.device("device-1");
        device = new DeviceClient(gw, deviceCert);
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable c : extra) {
            c.close();
        }
        cp.close();
        gw.close();
        site.close();
    }

    @Test
    void aDeviceRequestReachesTheInternalServerThroughTheConnectionPointAndTheAnswerComesBack() throws Exception {
        var response = device.send("POST", MP + "/request?id=7", "hello site");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue("X-Site-Header")).hasValue("from-site");
        JsonNode echo = DeviceClient.echo(response);
        assertThat(echo.path("method").asText()).isEqualTo("POST");
        assertThat(echo.path("path").asText()).isEqualTo("/internal/CCM_System/request");
        assertThat(echo.path("query").asText()).isEqualTo("id=7");
        assertThat(echo.path("body_length").asLong()).isEqualTo("hello site".length());
        // The internal server was called by the connection point, with the point's certificate.
        assertThat(echo.path("client").asText()).contains("CN=cp-main");
    }

    @Test
    void everyForwardedRequestLeavesOneAccessLogLine() throws Exception {
        var lines = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        lines.start();
        var access = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("access");
        access.addAppender(lines);
        try {
            assertThat(device.send("POST", MP + "/request?id=9", "hello").statusCode())
                    .isEqualTo(200);
            Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> lines.list.stream()
                            .anyMatch(e -> e.getFormattedMessage().contains("method=POST ")));
        } finally {
            access.detachAppender(lines);
        }

        // An earlier test's request may log its line (written when its outcome is known) after the
        // appender is attached: only this request's lines count.
        assertThat(lines.list.stream()
                        .filter(e -> e.getFormattedMessage().contains("/request\" "))
                        .toList())
                .singleElement()
                .extracting(e -> e.getFormattedMessage())
                .asString()
                .contains(
                        "client=127.0.0.1 ",
                        "auth=pki ",
                        "device=\"",
                        "device_id=",
                        "method=POST ",
                        "path=\"" + MP + "/request\" ",
                        "status=200 ",
                        "in=5 ",
                        "out=",
                        "ms=",
                        "connection_point=cp-main ",
                        "instance=");
    }

    @Test
    void aDeviceBodyThatBreaksAtOnceEndsItsExchangeNotTheChannel() throws Exception {
        var ctx = pki.clientContext(deviceCert);
        for (int i = 0; i < 5; i++) {
            var broken = RawHttps.exchange(
                    ctx,
                    gw.clientPort(),
                    "POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n3g\r\nabc\r\n0\r\n\r\n");
            assertThat(broken.status()).isEqualTo(400);
            // Had the channel gone down with it, this would be 503 no_connection_point until the point redialled.
            assertThat(device.get(MP + "/after-broken-body").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aDeviceThatExpects100ContinueGetsItThenItsBodyIsForwarded() throws Exception {
        try (var c = RawHttps.open(pki.clientContext(deviceCert), gw.clientPort())) {
            var out = c.socket().getOutputStream();
            out.write(("POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                            + "Expect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            var in = c.socket().getInputStream();
            var interim = new StringBuilder();
            while (!interim.toString().endsWith("\r\n\r\n")) {
                interim.append((char) in.read());
            }
            assertThat(interim.toString()).startsWith("HTTP/1.1 100 Continue");
            var reply = c.exchange("hello");
            assertThat(reply.status()).isEqualTo(200);
            assertThat(InternalServer.JSON
                            .readTree(reply.body())
                            .path("body_length")
                            .asLong())
                    .isEqualTo(5);
        }
    }

    @Test
    void theSitesResponseHeadersPassExceptServerIdentityAndTheGatewaysOwn() throws Exception {
        var response = device.get(MP + "/headers");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Site-Header")).hasValue("from-site");
        assertThat(response.headers().firstValue("Content-Length"))
                .hasValue(String.valueOf(response.body().length()));
        assertThat(response.headers().map().keySet())
                .map(h -> h.toLowerCase(Locale.ROOT))
                .doesNotContain("x-powered-by", "x-opencmg-leak");
    }

    @Test
    void bodiesPassAsTheyAreNeitherEncodedNorDecodedOnTheWay() throws Exception {
        var plain = device.http.send(device.request(MP + "/gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(new String(plain.body(), StandardCharsets.UTF_8)).startsWith("a compressible answer");

        var gzip = device.http.send(
                device.request(MP + "/gzip").header("Accept-Encoding", "gzip").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(gzip.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(gzip.headers().firstValue("Content-Length")).hasValue(String.valueOf(gzip.body().length));
        try (var in = new GZIPInputStream(new ByteArrayInputStream(gzip.body()))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).startsWith("a compressible answer");
        }
    }

    @Test
    void headAnswersTheSitesHeadersWithoutABody() throws Exception {
        var head = device.http.send(
                device.request(MP + "/probe")
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("X-Site-Header")).hasValue("from-site");
        assertThat(head.headers().firstValueAsLong("Content-Length").orElse(-1)).isPositive();
        assertThat(site.seen.getLast().method()).isEqualTo("HEAD");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CCM_POST", "BITS_POST", "PROPFIND"})
    void customVerbsPassAsTheyCame(String verb) throws Exception {
        var response = device.send(verb, MP + "/request", "<Msg/>");

        JsonNode echo = DeviceClient.echo(response);
        assertThat(echo.path("method").asText()).isEqualTo(verb);
        assertThat(echo.path("body_length").asLong()).isEqualTo(6);
    }

    @Test
    void theHeadersSiteRolesUseReachTheInternalServer() throws Exception {
        var reply = raw("GET " + MP + "/headers HTTP/1.1\r\nHost: localhost\r\n"
                + "Range: bytes=0-99\r\n"
                + "CCMClientID: GUID:5B0C4D38-6F0A-4A4B-8C3A-000000000001\r\n"
                + "CCMClientIDSignature: 0A1B2C3D\r\n"
                + "CCMClientTimestamp: 2026-01-01T00:00:00Z\r\n"
                + "CCMClientTimestampSignature: 4E5F6A7B\r\n"
                + "CCMClientTimestampsSignature: 8C9D0E1F\r\n"
                + "Content-Type: text/xml; charset=utf-8\r\n"
                + "BITS-Packet-Type: Ping\r\n"
                + "Depth: 1\r\n"
                + "Connection: close\r\n\r\n");

        var seen = seenBy(reply);
        assertThat(seen)
                .containsEntry("range", List.of("bytes=0-99"))
                .containsEntry("bits-packet-type", List.of("Ping"))
                .containsEntry("depth", List.of("1"))
                .containsEntry("ccmclientid", List.of("GUID:5B0C4D38-6F0A-4A4B-8C3A-000000000001"))
                .containsEntry("ccmclientidsignature", List.of("0A1B2C3D"))
                .containsEntry("ccmclienttimestamp", List.of("2026-01-01T00:00:00Z"))
                .containsEntry("ccmclienttimestampsignature", List.of("4E5F6A7B"))
                .containsEntry("ccmclienttimestampssignature", List.of("8C9D0E1F"))
                .containsEntry("content-type", List.of("text/xml; charset=utf-8"));
    }

    @Test
    void hopByHopAndUnknownHeadersDoNotReachTheInternalServer() throws Exception {
        var reply = raw("GET " + MP + "/headers HTTP/1.1\r\nHost: localhost\r\n"
                + "Connection: keep-alive, X-Hop\r\n"
                + "X-Hop: hop\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "TE: trailers\r\n"
                + "Trailer: X-Checksum\r\n"
                + "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "Cookie: session=stolen\r\n"
                + "X-Forwarded-For: 10.0.0.1\r\n"
                + "X-Custom-Unknown: 1\r\n"
                + "Accept: */*\r\n\r\n");

        var seen = seenBy(reply);
        assertThat(seen.keySet())
                .doesNotContain(
                        "connection",
                        "x-hop",
                        "keep-alive",
                        "te",
                        "trailer",
                        "proxy-authorization",
                        "proxy-connection",
                        "cookie",
                        "x-forwarded-for",
                        "x-custom-unknown");
        // Deny by default: nothing but allowed headers, the gateway's own and the connection point's framing.
        assertThat(seen.keySet())
                .allSatisfy(
                        h -> assertThat(h)
                                .matches(
                                        "accept|host|content-length|x-opencmg-(device-id|device-name|auth-method|client-address)"));
    }

    @Test
    void aHeaderNoRuleLetsThroughIsDroppedAndCountedByNameInMetricsStatusAndExplain() throws Exception {
        var seen = seenBy(raw("GET " + MP + "/headers HTTP/1.1\r\nHost: localhost\r\n"
                + "CCMClientID: GUID:1\r\n"
                + "SOAPAction: \"urn:another-role\"\r\n" // the software update point's, not the management point's
                + "X-Probe-Dropped: do-not-count-this-value\r\n"
                + "Connection: close\r\n\r\n"));

        assertThat(seen).containsKey("ccmclientid").doesNotContainKeys("soapaction", "x-probe-dropped");

        var http = java.net.http.HttpClient.newBuilder()
                .sslContext(pki.clientContext(null))
                .build();
        String basic = "Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString(("admin:" + GatewayFixture.ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));
        String metrics = http.send(
                        HttpRequest.newBuilder(gw.adminUrl("/metrics"))
                                .header("Authorization", basic)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
                .contains("cmg_request_headers_dropped_total{header=\"x-probe-dropped\"}")
                .contains("cmg_request_headers_dropped_total{header=\"soapaction\"}")
                .doesNotContain("header=\"ccmclientid\"")
                .doesNotContain("header=\"host\"")
                .doesNotContain("do-not-count-this-value");

        assertThat(gw.cli("status")).as(gw.out).isZero();
        assertThat(gw.out).contains("dropped request headers").containsPattern("x-probe-dropped +[1-9]");

        Path cert = dir.resolve("explain-device.pem");
        org.opencmg.pki.PemFiles.writeCertificates(cert, List.of(deviceCert.certificate()));
        assertThat(gw.cli(
                        "explain",
                        MP + "/request",
                        "--cert",
                        cert.toString(),
                        "-H",
                        "CCMClientID: GUID:1",
                        "-H",
                        "SOAPAction: x",
                        "-H",
                        "X-Probe-Dropped: 1",
                        "-H",
                        "Range: bytes=0-1"))
                .as(gw.out)
                .isZero();
        assertThat(gw.out)
                .containsPattern("role headers: +\\[.*\"ccmclientid\"")
                .containsPattern("dropped headers: +\\[\"soapaction\",\"x-probe-dropped\"\\]");
    }

    @Test
    void aConnectionPointWithAnAllowListRefusesMappingsOutsideIt() throws Exception {
        String inside = "/CCM_Proxy_MutualAuth/72057594037927970/CCM_System";
        String outside = "/CCM_Proxy_MutualAuth/72057594037927971/CCM_System";
        try (var elsewhere = new InternalServer(pki)) {
            gw.publish(inside, site.url("/allowed"), "LISTED");
            gw.publish(outside, elsewhere.url("/wsman"), "LISTED");
            var point = new ConnectionPointFixture(dir, pki, "cp-listed", "LISTED").register(gw);
            point.allowedUrls = List.of(site.url("/allowed/"));
            extra.add(point.start(gw.channelUrl()).awaitUp());

            var allowed = device.get(inside + "/request");
            var refused = device.get(outside + "/request");

            assertThat(allowed.statusCode()).isEqualTo(200);
            assertThat(DeviceClient.echo(allowed).path("client").asText())
                    .as("its certificate, shown to a listed server")
                    .contains("CN=cp-listed");
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).isEqualTo("403 internal_url_not_allowed\n");
            assertThat(elsewhere.seen).as("what the unlisted server saw").isEmpty();
        }
    }

    @Test
    void aCertificateDeviceNeverSendsAuthorizationToTheSite() throws Exception {
        for (String scheme : List.of(
                "Basic Zm9vOmJhcg==",
                "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAF1YAAAADw==",
                "Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXagMDAu",
                "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig")) {
            var seen = seenBy(raw("GET " + MP + "/headers HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + scheme
                    + "\r\nAccept: */*\r\n\r\n"));

            assertThat(seen.keySet()).as(scheme).doesNotContain("authorization");
        }
    }

    @Test
    void theGatewayTellsTheSiteWhoTheDeviceIsAndIgnoresDevicesClaimingIt() throws Exception {
        var reply = raw("GET " + MP + "/whoami HTTP/1.1\r\nHost: localhost\r\n"
                + "X-OpenCMG-Device-Id: forged-thumbprint\r\n"
                + "x-opencmg-auth-method: admin\r\n"
                + "X-OpenCMG-Something-Else: 1\r\n"
                + "Connection: close\r\n\r\n");

        var seen = seenBy(reply);
        assertThat(seen)
                .containsEntry("x-opencmg-device-id", List.of(Thumbprints.sha256(deviceCert.certificate())))
                .containsEntry("x-opencmg-auth-method", List.of("pki"))
                .containsEntry("x-opencmg-client-address", List.of("127.0.0.1"))
                .doesNotContainKey("x-opencmg-something-else");
        assertThat(seen.get("x-opencmg-device-name")).singleElement().asString().contains("CN=device-1");
    }

    @Test
    void theInternalServerSeesTheCanonicalPathUnderTheInternalUrl() throws Exception {
        // Prefix in another case, an unreserved character needlessly encoded, an encoded space.
        var echo = DeviceClient.echo(
                device.get("/ccm_proxy_mutualauth/72057594037927939/ccm_system/Item%41/%7Euser/a%20b?q=%41&r=1"));

        assertThat(echo.path("path").asText()).isEqualTo("/internal/CCM_System/ItemA/~user/a%20b");
        assertThat(echo.path("query").asText()).isEqualTo("q=%41&r=1");
    }

    @Test
    void aNewEndpointReachesTheConnectionPointWithinASecondAndUnpublishingRefusesAtOnce() throws Exception {
        String incoming = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_Incoming";
        gw.publish(incoming, site.url("/internal/CCM_Incoming"), SITE);
        long published = System.nanoTime();
        Awaitility.await("new endpoint served")
                .atMost(Duration.ofSeconds(1))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> device.get(incoming + "/x").statusCode() == 200);
        System.out.printf("endpoint served %d ms after publish%n", (System.nanoTime() - published) / 1_000_000);
        assertThat(DeviceClient.echo(device.get(incoming + "/x")).path("path").asText())
                .isEqualTo("/internal/CCM_Incoming/x");

        gw.check(gw.cli("endpoint", "unpublish", incoming));
        var response = device.get(incoming + "/x");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo("404 unmapped_path\n");
    }

    @Test
    void aSiteWithoutAConnectionPointIs503() throws Exception {
        var response = device.get(ORPHAN + "/x");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("503 no_connection_point\n");
    }

    @Test
    void aSiteNoInstanceReachesKeepsNoInstanceOutOfTheLoadBalancer() throws Exception {
        // ORPHAN is published for site NOBODY, which no connection point serves: its devices get 503
        // no_connection_point, but taking this instance out would take every other site's devices with
        // it. (An instance lacking a channel that other instances have is not ready: GatewayMembershipTest.)
        assertThat(device.get("/health/live").statusCode()).isEqualTo(200);
        assertThat(device.get("/health").body()).isEqualTo("ok\n");
        assertThat(device.get("/health/ready").statusCode()).isEqualTo(200);
        assertThat(gw.metric("cmg_sites_without_channel")).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void anUnreachableInternalServerIs502WithItsReason() throws Exception {
        var response = device.get(UNREACHABLE + "/x");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).isEqualTo("502 internal_server_unreachable\n");
    }

    @Test
    void anUnregisteredCertificateIsRefusedInTheTlsHandshake() throws Exception {
        var stranger = new ConnectionPointFixture(dir, pki, "cp-stranger", SITE); // never registered
        extra.add(stranger);
        long before = refusals("403 channel_certificate_unregistered");
        long hellosRefused = refusals("403 connection_point_unregistered");
        stranger.start(gw.channelUrl());
        // It never gets HTTP/2, so it never reaches the hello; every attempt is logged and counted.
        Awaitility.await("refusals counted")
                .atMost(Duration.ofSeconds(5))
                .until(() -> refusals("403 channel_certificate_unregistered") >= before + 2);
        LinkStatus link = stranger.links().getFirst();
        assertThat(link.state()).isNotEqualTo("up");
        assertThat(refusals("403 connection_point_unregistered"))
                .as("no hello was read")
                .isEqualTo(hellosRefused);
        assertThat(gw.openChannels()).doesNotContain(stranger.name);
        stranger.close();
    }

    @Test
    void aRegisteredCertificateWithAWrongConnectionIdNeverOpensAChannel() throws Exception {
        var wrongId = new ConnectionPointFixture(dir, pki, "cp-wrong-id", SITE).register(gw);
        extra.add(wrongId);
        wrongId.connectionId = "cid-not-the-registered-one";
        assertRefusedAtHello(wrongId);
    }

    private void assertRefusedAtHello(ConnectionPointFixture point) throws Exception {
        long before = refusals("403 connection_point_unregistered");
        point.start(gw.channelUrl());
        // It keeps trying (backoff), and every attempt is refused, logged and counted.
        Awaitility.await("refusals counted")
                .atMost(Duration.ofSeconds(5))
                .until(() -> refusals("403 connection_point_unregistered") >= before + 2);
        LinkStatus link = point.links().getFirst();
        assertThat(link.state()).isNotEqualTo("up");
        assertThat(link.lastError()).contains("403").contains("connection_point_unregistered");
        assertThat(gw.openChannels()).doesNotContain(point.name);
        assertThat(gw.api().get("channels").findValuesAsText("connection_point"))
                .doesNotContain(point.name);
        point.close();
    }

    @Test
    void unregisteringAConnectedPointClosesItsChannel() throws Exception {
        String leaving = "/CCM_Proxy_MutualAuth/72057594037927960/CCM_System";
        gw.publish(leaving, site.url("/leaving"), "LEAVE");
        var point = new ConnectionPointFixture(dir, pki, "cp-leaving", "LEAVE")
                .register(gw)
                .start(gw.channelUrl())
                .awaitUp();
        extra.add(point);
        assertThat(device.get(leaving + "/x").statusCode()).isEqualTo(200);

        gw.check(gw.cli("connection-point", "unregister", "cp-leaving"));

        Awaitility.await("channel closed")
                .atMost(Duration.ofSeconds(8))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> !gw.openChannels().contains("cp-leaving"));
        assertThat(gw.channelState("cp-leaving")).isEqualTo("down");
        var response = device.get(leaving + "/x");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("503 no_connection_point\n");
        // ...and it stays out: its redials are refused.
        Awaitility.await("redial refused")
                .atMost(Duration.ofSeconds(8))
                .until(() -> point.links().getFirst().lastError().contains("connection_point_unregistered"));
        assertThat(point.point().allUp()).isFalse();
        point.close();
    }

    // ---- helpers

    RawHttps.Reply raw(String request) throws Exception {
        SSLContext ctx = pki.clientContext(deviceCert);
        return RawHttps.exchange(ctx, gw.clientPort(), request);
    }

    /** The headers the internal server received, by lower-case name, from its echo in the reply. */
    static Map<String, List<String>> seenBy(RawHttps.Reply reply) throws Exception {
        assertThat(reply.status()).as(reply.head() + "\n" + reply.body()).isEqualTo(200);
        JsonNode echo = InternalServer.JSON.readTree(reply.body());
        var out = new java.util.TreeMap<String, List<String>>();
        for (JsonNode h : echo.path("headers")) {
            out.computeIfAbsent(h.get(0).asText().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(h.get(1).asText());
        }
        return out;
    }

    long refusals(String key) {
        return gw.gateway().refusals().counts().getOrDefault(key, 0L);
    }
}
