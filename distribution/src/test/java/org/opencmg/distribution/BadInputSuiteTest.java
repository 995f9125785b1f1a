package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencmg.pki.IssuedCertificate;

/**
 * The bad-input suite: hostile input of every kind against a gateway running as its own process,
 * with a real connection point and a real internal server behind it. Each case must get a clear
 * answer (an HTTP status with its one-line reason, or, for input that is not HTTP at all, the
 * connection closed), and nothing may reach the internal server that a mapping does not allow.
 * Afterwards the gateway is still the same process, healthy, forwarding a good request, with no
 * error in its log. Prints one table row per category ({@code bench/bad-input.sh} shows it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ParameterizedClass(name = "tls.provider={0}")
@ValueSource(strings = {"conscrypt", "jdk", "netty"})
class BadInputSuiteTest {

    /** The gateway's and the connection point's TLS provider: the whole suite runs on each. */
    @Parameter
    String provider;

    static final String SITE = "PS1";
    static final String MP = RequestFilterTest.MP;
    static final String ENTRA = "/CCM_Proxy_ServerAuth/72057594037927939/ccm_system_tokenauth";
    static final String TOKEN = "/CCM_Proxy_ServerAuth/72057594037927939/SMS_MP";
    static final Duration HEADER_DEADLINE = Duration.ofSeconds(3);
    /** The sweep runs once a second, and a loaded CI machine adds its own delay. */
    static final Duration CLOSE_SLACK = Duration.ofMillis(2500);

    static final String GOOD = "GET " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    Path dir;
    TestPki pki;
    InternalServer site;
    GatewayFixture gw;
    ConnectionPointFixture cp;
    EntraTenant tenant;
    SSLContext device;
    SSLContext anonymous;
    long gatewayPid;
    final Map<String, Figures> figures = new LinkedHashMap<>();

    /** One category: cases sent, answers by kind, requests that reached (and completed at) the internal server. */
    static final class Figures {
        int cases;
        final Map<String, Integer> answers = new TreeMap<>();
        int reachedSite;
        int completedAtSite;
        long slowestCloseMillis = -1;

        String answers() {
            return answers.entrySet().stream()
                    .map(e -> e.getValue() + " × " + e.getKey())
                    .collect(Collectors.joining(", "));
        }
    }

    @BeforeParameterizedClassInvocation(injectArguments = false)
    void start(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp) throws Exception {
        dir = Files.createDirectories(tmp.resolve(provider));
        figures.clear();
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        site = new InternalServer(pki);
        gw = GatewayFixture.processWithConfig(
                Files.createDirectories(dir.resolve("gw")),
                pki,
                "{idle: 10s, header: " + HEADER_DEADLINE.toSeconds() + "s}",
                GatewayFixture.tlsProvider(provider),
                "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED");
        assertThat(gw.runningTlsProvider()).isEqualTo(provider);
        gatewayPid = gw.processHandle().pid();
        gw.trustTestDevices();
        gw.publish(MP, site.url("/internal/CCM_System"), SITE, "--max-request-bytes", "1048576");
        tenant = new EntraTenant(pki);
        tenant.onboard(gw, ENTRA, site.url("/internal/tokenauth"), SITE);
        gw.publish(TOKEN, site.url("/internal/SMS_MP"), SITE, "--auth", "token");
        cp = new ConnectionPointFixture(dir, pki, "cp-suite", SITE).register(gw);
        // netty is the gateway's client connector's engine only; the point then runs the JDK's.
        cp.extraConfig = GatewayFixture.tlsProvider(provider.equals("netty") ? "jdk" : provider);
        cp.start(gw.channelUrl()).awaitUp();
        device = pki.clientContext(pki.device("suite-device"));
        anonymous = pki.clientContext(null);
        // The counting works: a good request of each kind reaches the site.
        assertThat(send(device, GOOD).status()).isEqualTo(200);
        assertThat(send(
                                anonymous,
                                "GET " + ENTRA + "/request HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                                        + tenant.token() + "\r\nConnection: close\r\n\r\n")
                        .status())
                .isEqualTo(200);
        assertThat(arrivals()).isEqualTo(2);
        site.reset();
    }

    @AfterParameterizedClassInvocation(injectArguments = false)
    void stop() throws Exception {
        try {
            if (gw != null) {
                printFigures();
            }
        } finally {
            if (cp != null) {
                cp.close();
            }
            if (gw != null) {
                gw.close();
            }
            if (tenant != null) {
                tenant.close();
            }
            if (site != null) {
                site.close();
            }
        }
    }

    // ---- the categories -------------------------------------------------------------------------

    @Test
    @Order(1)
    void urlAttacks() throws Exception {
        close(run(
                "URL attacks",
                RequestFilterTest.hostilePaths()
                        .map(p -> "GET " + p + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
                device,
                status(400, 414, 431)));
    }

    @Test
    @Order(2)
    void requestSmuggling() throws Exception {
        String post = "POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\n";
        String get = "GET " + MP + "/x HTTP/1.1\r\nHost: localhost\r\n";
        var extra = Stream.of(
                // CL.TE and TE.CL, each hiding a second request for an unmapped path
                post
                        + "Content-Length: 54\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: localhost\r\n\r\n",
                post
                        + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n2d\r\nGET /SMS_MP/.sms_aut HTTP/1.1\r\nHost: localhost\r\n\r\n\r\n0\r\n\r\n",
                post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
                post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\nTransfer-encoding: cow\r\n\r\n0\r\n\r\n",
                post + " Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                post + "Content-Length: +3\r\n\r\nabc",
                post + "Content-Length: 0x3\r\n\r\nabc",
                post + "Content-Length: 3 3\r\n\r\nabc",
                post + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
                post + "Content-Length: 99999999999999999999\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\n\r\n3g\r\nabc\r\n0\r\n\r\n",
                post + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
                get + "X Bad: 1\r\n\r\n",
                get + "X-Nul: a\0b\r\n\r\n",
                get + "X-Bad\u00ff: 1\r\n\r\n",
                get + "X-Cr: a\rb\r\n\r\n",
                "GET " + MP + "/x HTTP/2.0\r\nHost: localhost\r\n\r\n",
                "GET " + MP + "/x HTTP/1.2\r\nHost: localhost\r\n\r\n",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        var f = run(
                "request smuggling and framing",
                Stream.concat(RequestFilterTest.badFraming(), extra),
                device,
                status(400, 404, 405, 421, 426, 501, 505).or(closed()));
        // A request line other servers could read differently: lower-case version, extra spaces.
        for (String line :
                List.of(MP + "/x http/1.1", " " + MP + "/x HTTP/1.1", MP + "/x  HTTP/1.1", MP + "/x HTTP/1.1 ")) {
            record(f, send(device, "GET " + line + "\r\nHost: localhost\r\n\r\n"), status(400));
        }
        // A chunk announced larger than the endpoint's limit (1 MiB) is refused on its size line, at once.
        record(f, send(device, post + "Transfer-Encoding: chunked\r\n\r\n200000\r\nabc"), status(413));
        // The chunked body that breaks after a good first chunk ("abcXX") has begun streaming to the
        // site, which sees it aborted; every body broken from its start is refused before forwarding.
        close(f, 1);
    }

    @Test
    @Order(3)
    void headerFloods() throws Exception {
        var f = figures("header floods");
        record(f, send(device, get(fields(101, i -> "X-F-" + i + ": v"))), status(431));
        record(f, send(device, get(fields(1000, i -> "X-F-" + i + ": v"))), status(431));
        record(f, send(device, get(fields(3000, i -> "X: y"))), status(431));
        record(f, send(device, get(fields(200, i -> "Cookie: a" + i + "=b"))), status(431));
        // A second spelling of the gateway's own header, as IIS would read it.
        record(f, send(device, get("X_OpenCMG_Device_Id: forged\r\n")), status(400));
        // A thousand requests on one kept-alive connection: each answered, none forwarded.
        try (var c = RawHttps.open(device, gw.clientPort())) {
            for (int i = 0; i < 1000; i++) {
                record(f, c.exchange("GET /unmapped/" + i + " HTTP/1.1\r\nHost: localhost\r\n\r\n"), status(404));
            }
        }
        close(f);
    }

    @Test
    @Order(4)
    void oversizedInput() throws Exception {
        var f = figures("oversized heads and bodies");
        record(
                f,
                send(device, "GET " + MP + "/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n"),
                status(414, 431));
        record(f, send(device, get("X-Big: " + "b".repeat(17_000) + "\r\n")), status(431));
        record(f, send(device, get(fields(16, i -> "X-Big-" + i + ": " + "c".repeat(4000)))), status(431));
        record(
                f,
                send(device, "GET " + MP + "/" + "d".repeat(1 << 20)),
                status(400, 414, 431).or(closed()));
        record(
                f,
                send(
                        device,
                        "POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000000\r\n\r\n"),
                status(413));
        // Chunked, so its size shows only on the way: the site gets the head and an aborted body, never a whole
        // request.
        var chunk = "10000\r\n" + "x".repeat(0x10000) + "\r\n";
        record(
                f,
                send(
                        device,
                        "POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + chunk.repeat(20) + "0\r\n\r\n"),
                status(413).or(closed()));
        close(f, 1);
    }

    @Test
    @Order(5)
    void slowHeadsAndHandshakes() throws Exception {
        var f = figures("slow heads and handshakes (deadline " + HEADER_DEADLINE.toSeconds() + " s)");
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var cases = new ArrayList<Future<Long>>();
            cases.add(pool.submit(() -> closedAfter(new Socket("127.0.0.1", gw.clientPort()), null, 0)));
            cases.add(pool.submit(() ->
                    closedAfter(new Socket("127.0.0.1", gw.clientPort()), new byte[] {0x16, 3, 1, 2, 0, 1, 0, 1}, 0)));
            cases.add(pool.submit(() -> closedAfter(new Socket("127.0.0.1", gw.clientPort()), clientHello(), 200)));
            // Empty lines before a request line are part of its head, not an idle gap.
            cases.add(pool.submit(
                    () -> closedAfter(handshake(device), "\r\n".repeat(40).getBytes(StandardCharsets.US_ASCII), 125)));
            for (int i = 0; i < 20; i++) {
                cases.add(pool.submit(() -> {
                    SSLSocket s = handshake(device);
                    return closedAfter(
                            s,
                            ("GET " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "z".repeat(200))
                                    .getBytes(StandardCharsets.US_ASCII),
                            250);
                }));
            }
            // Meanwhile a good device is served at once.
            long t0 = System.nanoTime();
            assertThat(send(device, GOOD).status()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            site.reset();
            for (var c : cases) {
                long ms = c.get();
                f.cases++;
                f.answers.merge("closed by the deadline", 1, Integer::sum);
                f.slowestCloseMillis = Math.max(f.slowestCloseMillis, ms);
                assertThat(Duration.ofMillis(ms))
                        .isBetween(HEADER_DEADLINE.minusMillis(500), HEADER_DEADLINE.plus(CLOSE_SLACK));
            }
        }
        close(f);
    }

    @Test
    @Order(6)
    void slowBodies() throws Exception {
        var f = figures("slow bodies (< 512 B/s), forwarded and to gateway services before authentication");
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var cases = new ArrayList<Future<RawHttps.Reply>>();
            for (int i = 0; i < 5; i++) {
                cases.add(pool.submit(() -> {
                    SSLSocket s = handshake(device);
                    return trickle(
                            s,
                            ("POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII),
                            8,
                            250,
                            Duration.ofSeconds(25));
                }));
            }
            // Before any authentication: a gateway service's body is small and read at the same minimum rate.
            var anonymous = new ArrayList<Future<RawHttps.Reply>>();
            for (String service :
                    List.of("/CCM_Proxy_MutualAuth/ServiceMetadata", "/CCM_Proxy_ServerAuth/ServiceMetadata")) {
                anonymous.add(pool.submit(() -> trickle(
                        handshake(this.anonymous),
                        ("POST " + service + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 8000\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII),
                        8,
                        250,
                        Duration.ofSeconds(25))));
                anonymous.add(pool.submit(() -> send(
                        this.anonymous,
                        "POST " + service + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 262144\r\n\r\n")));
            }
            // A body that stops: a few bytes, then nothing, is cut well before the idle timeout.
            var stopped = new ArrayList<Future<RawHttps.Reply>>();
            for (String framing : List.of(
                    "Content-Length: 1000\r\n\r\n0123456789", "Transfer-Encoding: chunked\r\n\r\n3e8\r\n0123456789")) {
                stopped.add(pool.submit(() -> trickle(
                        handshake(device),
                        ("POST " + MP + "/request HTTP/1.1\r\nHost: localhost\r\n" + framing)
                                .getBytes(StandardCharsets.US_ASCII),
                        0,
                        1000,
                        Duration.ofSeconds(9))));
            }
            for (var c : cases) {
                record(f, c.get(), status(408).or(closed()));
            }
            for (var c : stopped) {
                record(f, c.get(), status(408));
            }
            for (var c : anonymous) {
                record(f, c.get(), status(408, 413));
            }
        }
        // Their heads went on to the site (bodies stream); their bodies were cut, so none completed.
        f.reachedSite = arrivals();
        f.completedAtSite = site.seen.size();
        assertThat(f.completedAtSite).isZero();
        site.reset();
    }

    @Test
    @Order(7)
    void malformedTlsRecords() throws Exception {
        var f = figures("malformed TLS records");
        byte[] random = new byte[16 * 1024];
        new SecureRandom().nextBytes(random);
        byte[] hello = clientHello();
        byte[] badLengths = hello.clone();
        for (int i = 60; i < badLengths.length; i += 7) {
            badLengths[i] = (byte) 0xff;
        }
        var inputs = List.of(
                GOOD.getBytes(StandardCharsets.US_ASCII),
                random,
                concat(new byte[] {0x16, 3, 3, (byte) 0xff, (byte) 0xff}, new byte[100]),
                new byte[] {0x18, 3, 3, 0, 3, 1, 0x40, 0},
                new byte[] {
                    (byte) 0x80,
                    0x2e,
                    1,
                    0,
                    2,
                    0,
                    0x15,
                    0,
                    0,
                    0,
                    0x10,
                    1,
                    0,
                    (byte) 0x80,
                    2,
                    0,
                    (byte) 0x80,
                    3,
                    0,
                    (byte) 0x80,
                    4,
                    0,
                    (byte) 0x80,
                    5,
                    0,
                    (byte) 0x80,
                    6,
                    0,
                    0x40,
                    7,
                    0,
                    (byte) 0xc0,
                    1,
                    2,
                    3,
                    4,
                    5,
                    6,
                    7,
                    8,
                    9,
                    10,
                    11,
                    12,
                    13,
                    14,
                    15,
                    16
                },
                badLengths,
                new byte[] {0x14, 3, 3, 0, 1, 1},
                concat(new byte[] {0x17, 3, 3, 0, 32}, new byte[32]),
                concat(new byte[] {0x15, 3, 3, 0, 2, 2, 40}, hello));
        for (byte[] input : inputs) {
            record(f, rawTcp(input), tlsRefusal());
        }
        // After a good handshake: an application record with a broken MAC.
        try (var plain = new Socket("127.0.0.1", gw.clientPort())) {
            var tls = (SSLSocket) device.getSocketFactory().createSocket(plain, "localhost", gw.clientPort(), false);
            tls.startHandshake();
            plain.getOutputStream().write(concat(new byte[] {0x17, 3, 3, 0, 40}, random));
            plain.getOutputStream().flush();
            record(f, readUntilClosed(plain), tlsRefusal());
        }
        close(f);
    }

    @Test
    @Order(8)
    void malformedJwts() throws Exception {
        var f = figures("malformed JWTs");
        RSAKey forger = new RSAKeyGenerator(2048).keyID("entra-key-1").generate();
        String good = tenant.token();
        String[] parts = good.split("\\.");
        String claims = parts[1];
        var bearers = new ArrayList<String>(List.of(
                "Bearer",
                "Bearer ",
                "Bearer abc",
                "Bearer a.b",
                "Bearer a.b.c.d.e",
                "Bearer !!!.###.$$$",
                "Bearer " + b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + claims + ".",
                "Bearer " + b64("{\"alg\":\"none\"}") + "." + claims + "." + parts[2],
                "Bearer " + hs256WithPublicKey(tenant.key, claims),
                "Bearer " + parts[0] + "." + claims + "." + flip(parts[2]),
                "Bearer " + parts[0] + "." + b64("{\"tid\":\"x\"") + "." + parts[2],
                "Bearer " + b64("[".repeat(5000) + "]".repeat(5000)) + "." + claims + "." + parts[2],
                "Bearer " + b64("not json") + "." + b64("not json") + "." + parts[2],
                "Bearer "
                        + EntraTenant.sign(
                                forger, tenant.claims(EntraTenant.TENANT).build()),
                "Bearer "
                        + signWith(
                                forger,
                                new JWSHeader.Builder(JWSAlgorithm.RS256)
                                        .keyID("../../../../etc/passwd")
                                        .build()),
                "Bearer "
                        + signWith(
                                forger,
                                new JWSHeader.Builder(JWSAlgorithm.RS256)
                                        .keyID("entra-key-1")
                                        .jwkURL(URI.create("https://127.0.0.1:1/keys"))
                                        .build()),
                "Bearer "
                        + signWith(
                                forger,
                                new JWSHeader.Builder(JWSAlgorithm.RS256)
                                        .keyID("entra-key-1")
                                        .jwk(forger.toPublicJWK())
                                        .build()),
                "Bearer "
                        + signWith(
                                tenant.key,
                                new JWSHeader.Builder(JWSAlgorithm.RS256)
                                        .keyID("entra-key-1")
                                        .criticalParams(java.util.Set.of("x-unknown"))
                                        .customParam("x-unknown", 1)
                                        .build()),
                "Bearer "
                        + EntraTenant.sign(
                                tenant.key,
                                tenant.claims(EntraTenant.TENANT)
                                        .expirationTime(Date.from(Instant.now().minusSeconds(3600)))
                                        .build()),
                "Bearer "
                        + EntraTenant.sign(
                                tenant.key,
                                tenant.claims(EntraTenant.TENANT)
                                        .notBeforeTime(Date.from(Instant.now().plusSeconds(3600)))
                                        .build()),
                "Bearer "
                        + EntraTenant.sign(
                                tenant.key,
                                tenant.claims(EntraTenant.TENANT)
                                        .audience("https://graph.microsoft.com")
                                        .build()),
                "Bearer "
                        + EntraTenant.sign(
                                tenant.key,
                                tenant.claims(EntraTenant.TENANT)
                                        .issuer("https://evil.example/")
                                        .build()),
                "Bearer "
                        + EntraTenant.sign(
                                tenant.key,
                                tenant.claims("deadbeef-0000-4000-8000-000000000000")
                                        .build()),
                "Bearer "
                        + EntraTenant.sign(
                                forger,
                                tenant.claims(EntraTenant.TENANT)
                                        .claim("pad", "p".repeat(12_000))
                                        .build()),
                "Basic dXNlcjpwYXNz"));
        for (String bearer : bearers) {
            record(
                    f,
                    send(
                            anonymous,
                            "GET " + ENTRA + "/request HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + bearer
                                    + "\r\nConnection: close\r\n\r\n"),
                    status(400, 401, 431));
        }
        record(
                f,
                send(
                        anonymous,
                        "GET " + ENTRA + "/request HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + good
                                + "\r\nAuthorization: Bearer " + good + "\r\nConnection: close\r\n\r\n"),
                status(400));
        // A site-token endpoint takes no Entra token, and no unsigned or foreign one.
        for (String bearer :
                List.of("Bearer " + good, "Bearer " + b64("{\"alg\":\"none\"}") + "." + claims + ".", "Bearer abc")) {
            record(
                    f,
                    send(
                            anonymous,
                            "GET " + TOKEN + "/x HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + bearer
                                    + "\r\nConnection: close\r\n\r\n"),
                    status(400, 401));
        }
        close(f);
    }

    @Test
    @Order(9)
    void malformedCertificates() throws Exception {
        var f = figures("malformed client certificates");
        IssuedCertificate good = pki.device("tampered");
        byte[] der = good.certificate().getEncoded();
        der[der.length - 10] ^= 0x01; // inside the signature
        var tampered = new IssuedCertificate(
                (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(der)),
                good.privateKey());
        var certs = List.of(
                pki.clientContext(pki.strangerDevice()),
                pki.clientContext(pki.strangerDevice(), pki.otherRoot.certificate()),
                pki.clientContext(pki.expiredDevice()),
                pki.clientContext(pki.futureDevice()),
                pki.clientContext(pki.serverAuthOnlyDevice()),
                pki.clientContext(tampered));
        for (SSLContext ctx : certs) {
            record(f, send(ctx, GOOD), status(401, 403));
        }
        // CA certificates as client certificates: Conscrypt (BoringSSL) ends such a handshake itself, so
        // no HTTP answer and no logged reason; on the JDK's provider the gateway refuses them with one.
        Predicate<String> caRefused =
                provider.equals("jdk") ? status(401, 403) : status(401, 403).or(closed());
        for (SSLContext ctx : List.of(
                pki.clientContext(pki.intermediate),
                pki.clientContext(org.opencmg.pki.CertificateBuilder.rootCa("Test Issuing CA")
                        .build()))) {
            record(f, send(ctx, GOOD), caRefused);
        }
        close(f);
    }

    /**
     * Every byte in a query and in a path segment: each gets its answer within a second, and the
     * channel stays up for other devices. A byte the gateway lets through reaches the site in the
     * canonical form the connection point can always send ({@code {} as {@code %7B}).
     */
    @Test
    @Order(10)
    void everyByteInAQueryAndAPathSegment() throws Exception {
        var f = figures("every byte 0x00-0xFF in a query and a path segment");
        int forwarded = 0;
        for (int b = 0; b < 0x100; b++) {
            for (String target : List.of(MP + "/request?x=a" + (char) b + "b", MP + "/a" + (char) b + "b")) {
                long t0 = System.nanoTime();
                var reply = send(device, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                assertThat(Duration.ofNanos(System.nanoTime() - t0))
                        .as("answer to byte 0x%02x", b)
                        .isLessThan(Duration.ofSeconds(1));
                // A forwarded request's answer is the site's own (JSON), not a refusal line.
                record(f, reply.status() == 200 ? "200 forwarded" : answer(reply), status(200, 400, 404));
                forwarded += reply.status() == 200 ? 1 : 0;
            }
        }
        assertThat(cp.links().getFirst().state()).isEqualTo("up");
        assertThat(send(device, GOOD).status()).isEqualTo(200);
        assertThat(site.seen)
                .extracting(InternalServer.Seen::query)
                .contains("x=a%7Bb", "x=a%7Cb", "x=a%60b", "x=a%5Eb");
        f.reachedSite = arrivals();
        f.completedAtSite = site.seen.size();
        assertThat(f.completedAtSite)
                .as("only the answered requests completed at the site")
                .isEqualTo(forwarded + 1);
    }

    /**
     * The channel port faces the internet. An attacker who is not a registered connection point
     * never gets past the TLS handshake; one who holds a registered certificate (but not its
     * connection ID) gets at most two streams of a tiny hello per connection, a bounded number of
     * such connections, and loses them at the hello deadline. The gateway's heap grows by less
     * than 64 MB, and devices are served throughout.
     */
    @Test
    @Order(11)
    void channelConnectorFlood() throws Exception {
        var f = figures("channel connector flood (1,000 strangers, 1,000 idle sockets, 1,000 hello squatters)");
        long heapBefore = liveHeapBytes();
        var squatter = new ConnectionPointFixture(dir, pki, "cp-squatter", SITE).register(gw);
        SSLContext stranger = pki.clientContext(pki.strangerDevice());
        var idle = new ArrayList<Socket>();
        var squatters = new ArrayList<ChannelSquatter>();
        var clients = new ArrayList<org.eclipse.jetty.http2.client.HTTP2Client>();
        var clientThreads = new org.eclipse.jetty.util.thread.QueuedThreadPool(200, 8);
        clientThreads.start();
        try (var pool = Executors.newFixedThreadPool(32)) {
            for (int i = 0; i < 1000; i++) {
                idle.add(new Socket("127.0.0.1", gw.channelPort()));
            }
            SSLContext registered = pki.clientContext(squatter.certificate);
            for (int a = 0; a < 40; a++) {
                clients.add(ChannelSquatter.client(registered, "127.0.0." + (2 + a), clientThreads));
                for (int i = 0; i < 25; i++) {
                    squatters.add(new ChannelSquatter(clients.getLast(), gw.channelPort()));
                }
            }
            var opened = new ArrayList<Future<Integer>>();
            for (var s : squatters) {
                opened.add(pool.submit(s::open));
            }
            for (var o : opened) {
                assertThat(o.get())
                        .as("streams a connection may open before its hello")
                        .isLessThanOrEqualTo(2);
            }
            // Early ones have met the hello deadline already; what is left open at once is bounded.
            long held = squatters.stream().filter(s -> !s.closed()).count();
            assertThat(held).as("connections not yet admitted").isLessThanOrEqualTo(256);
            // Devices are served while the attackers hold what they could get.
            assertThat(send(device, GOOD).status()).isEqualTo(200);
            long heapHeld = liveHeapBytes() - heapBefore;
            System.out.printf("channel flood: %d squatter connections held, heap +%d MB%n", held, heapHeld >> 20);
            assertThat(heapHeld).as("heap the attack costs").isLessThan(64L << 20);
            var strangers = new ArrayList<Future<String>>();
            for (int i = 0; i < 1000; i++) {
                strangers.add(pool.submit(() -> channelHandshake(stranger)));
            }
            for (var s : strangers) {
                record(f, s.get(), "refused in the TLS handshake"::equals);
            }
            assertThat(send(device, GOOD).status()).isEqualTo(200);
            // The hello deadline closes every one of them, and the idle sockets as well.
            Thread.sleep(HEADER_DEADLINE.plus(CLOSE_SLACK).toMillis());
            for (var s : squatters) {
                record(
                        f,
                        s.closed() ? "closed at the hello deadline" : "still open",
                        "closed at the hello deadline"::equals);
            }
            for (Socket socket : idle) {
                socket.setSoTimeout(2000);
                record(
                        f,
                        closedNow(socket) ? "closed at the hello deadline" : "still open",
                        "closed at the hello deadline"::equals);
            }
        } finally {
            for (var s : squatters) {
                s.close();
            }
            for (Socket socket : idle) {
                socket.close();
            }
            for (var c : clients) {
                c.stop();
            }
            clientThreads.stop();
        }
        assertThat(cp.links().getFirst().state()).isEqualTo("up");
        assertThat(send(device, GOOD).status()).isEqualTo(200);
        // Only the three good device requests above reached the site; nothing of the attack did.
        f.reachedSite = arrivals() - 3;
        f.completedAtSite = site.seen.size() - 3;
        assertThat(f.reachedSite)
                .as("attack requests that reached the internal server")
                .isZero();
    }

    /** A TLS handshake on the channel port, then a read: how the gateway answered. */
    String channelHandshake(SSLContext ctx) {
        try (var s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", gw.channelPort())) {
            s.setSoTimeout(5000);
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.startHandshake();
            // TLS 1.3 sends the client's certificate after its Finished: the refusal arrives as an alert.
            return s.getInputStream().read() < 0 ? "closed after the handshake" : "answered";
        } catch (IOException e) {
            return "refused in the TLS handshake";
        }
    }

    static boolean closedNow(Socket socket) {
        try {
            return socket.getInputStream().read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** The gateway process's live heap after a full collection, through jcmd. */
    long liveHeapBytes() throws Exception {
        Path jcmd =
                Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        run(jcmd.toString(), Long.toString(gatewayPid), "GC.run");
        String info = run(jcmd.toString(), Long.toString(gatewayPid), "GC.heap_info");
        var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        assertThat(m.find()).as("jcmd GC.heap_info: " + info).isTrue();
        return Long.parseLong(m.group(1)) * 1024;
    }

    static String run(String... command) throws Exception {
        var p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    // ---- the verdict ----------------------------------------------------------------------------

    @Test
    @Order(20)
    void theGatewayIsTheSameHealthyProcessAndLoggedNoError() throws Exception {
        assertThat(gw.processHandle().isAlive()).isTrue();
        assertThat(gw.processHandle().pid()).isEqualTo(gatewayPid);
        assertThat(send(anonymous, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        .status())
                .isEqualTo(200);
        assertThat(send(device, GOOD).status()).isEqualTo(200);
        var log = Files.readAllLines(gw.log());
        assertThat(log)
                .filteredOn(l -> l.contains(" ERROR ") || l.startsWith("\tat ") || l.contains("Exception in thread"))
                .as("errors in the gateway log")
                .isEmpty();
    }

    // ---- how a case is sent and judged ------------------------------------------------------------

    RawHttps.Reply send(SSLContext ctx, String request) throws IOException {
        try {
            return RawHttps.exchange(ctx, gw.clientPort(), request.getBytes(StandardCharsets.ISO_8859_1), null);
        } catch (javax.net.ssl.SSLException | java.net.SocketException e) {
            return new RawHttps.Reply(-1, "", ""); // refused or cut during the handshake or the write
        }
    }

    Figures run(String category, Stream<String> requests, SSLContext ctx, Predicate<String> expected) throws Exception {
        var f = figures(category);
        for (String r : (Iterable<String>) requests::iterator) {
            var reply = send(ctx, r);
            assertThat(answer(reply))
                    .as(r.substring(0, Math.min(300, r.length())) + "\n->\n" + reply.head())
                    .matches(expected);
            record(f, reply, expected);
        }
        return f;
    }

    Figures figures(String category) {
        site.reset();
        return figures.computeIfAbsent(category, k -> new Figures());
    }

    /** Ends a category: nothing reached the site. */
    void close(Figures f) {
        close(f, 0);
    }

    /** Ends a category: at most {@code streamed} request heads reached the site (bodies stream), and none completed there. */
    void close(Figures f, int streamed) {
        f.reachedSite = arrivals();
        f.completedAtSite = site.seen.size();
        assertThat(f.reachedSite)
                .as("requests that reached the internal server")
                .isLessThanOrEqualTo(streamed);
        assertThat(f.completedAtSite)
                .as("requests the internal server completed")
                .isZero();
    }

    static void record(Figures f, RawHttps.Reply reply, Predicate<String> expected) {
        record(f, answer(reply), expected);
    }

    static void record(Figures f, String answer, Predicate<String> expected) {
        f.cases++;
        f.answers.merge(answer, 1, Integer::sum);
        assertThat(answer).as("answer #" + f.cases).matches(expected);
    }

    /**
     * "400 bad_message" for a plain refusal, "426" for a bare status (Jetty's own answer to an HTTP/2
     * preface), "closed" for no HTTP answer; anything else is not clear.
     */
    static String answer(RawHttps.Reply r) {
        if (r.status() < 0) {
            return r.head().isEmpty()
                    ? "closed"
                    : "garbled: " + r.head().substring(0, Math.min(40, r.head().length()));
        }
        if (r.status() >= 400 && r.body().isEmpty()) {
            return Integer.toString(r.status());
        }
        String line = r.body().strip();
        return line.matches("\\d{3} [a-z0-9_]+")
                        && line.startsWith(r.status() + " ")
                        && !r.body().contains("Exception")
                ? line
                : r.status() + " unclear: " + line.substring(0, Math.min(40, line.length()));
    }

    static Predicate<String> status(int... allowed) {
        return a -> java.util.Arrays.stream(allowed).anyMatch(s -> a.matches(s + "( [a-z0-9_]+)?"));
    }

    static Predicate<String> closed() {
        return "closed"::equals;
    }

    static Predicate<String> tlsRefusal() {
        return a -> a.equals("closed") || a.equals("TLS alert, closed") || a.equals("TLS records, closed");
    }

    int arrivals() {
        return site.byClient.values().stream()
                .mapToInt(java.util.concurrent.atomic.AtomicInteger::get)
                .sum();
    }

    static String get(String headerLines) {
        return "GET " + MP + "/request HTTP/1.1\r\nHost: localhost\r\n" + headerLines + "Connection: close\r\n\r\n";
    }

    static String fields(int n, java.util.function.IntFunction<String> field) {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(field.apply(i)).append("\r\n");
        }
        return sb.toString();
    }

    SSLSocket handshake(SSLContext ctx) throws IOException {
        var s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", gw.clientPort());
        s.startHandshake();
        return s;
    }

    /** Writes {@code bytes} one at a time, {@code pauseMillis} apart (at once if 0), until the server closes; ms until then. */
    static long closedAfter(Socket s, byte[] bytes, long pauseMillis) throws Exception {
        long t0 = System.nanoTime();
        try (s) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            var writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; bytes != null && i < bytes.length; i++) {
                        out.write(bytes[i]);
                        out.flush();
                        if (pauseMillis > 0) {
                            Thread.sleep(pauseMillis);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the server: what this waits for
                }
            });
            try {
                while (in.read() >= 0) {
                    // a TLS alert or an answer: read on until the close
                }
            } catch (IOException e) {
                // reset: closed as well
            }
            writer.interrupt();
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Sends the head, then {@code chunk} body bytes every {@code pauseMillis}, reading the answer meanwhile. */
    static RawHttps.Reply trickle(SSLSocket s, byte[] head, int chunk, long pauseMillis, Duration limit)
            throws Exception {
        try (s) {
            s.setSoTimeout((int) limit.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(head);
            out.flush();
            var writer = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        out.write(new byte[chunk]);
                        out.flush();
                        Thread.sleep(pauseMillis);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the server
                }
            });
            var buf = new java.io.ByteArrayOutputStream();
            try {
                s.getInputStream().transferTo(buf);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("a slow body held its connection for " + limit.toSeconds() + " s");
            } catch (IOException e) {
                // reset after the answer
            }
            writer.interrupt();
            return RawHttps.parse(buf.toByteArray());
        }
    }

    String rawTcp(byte[] input) throws IOException {
        try (var s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gw.clientPort()), 5000);
            try {
                s.getOutputStream().write(input);
                s.getOutputStream().flush();
            } catch (IOException e) {
                return "closed";
            }
            return readUntilClosed(s);
        }
    }

    /** What a server sends back to bytes that are not a proper TLS conversation, until it closes. */
    static String readUntilClosed(Socket s) throws IOException {
        s.setSoTimeout((int) HEADER_DEADLINE.plus(CLOSE_SLACK).plusSeconds(5).toMillis());
        var got = new java.io.ByteArrayOutputStream();
        try {
            s.getInputStream().transferTo(got);
        } catch (SocketTimeoutException e) {
            return "no answer, still open";
        } catch (IOException e) {
            // reset: closed
        }
        byte[] b = got.toByteArray();
        if (b.length == 0) {
            return "closed";
        }
        if (new String(b, 0, Math.min(5, b.length), StandardCharsets.ISO_8859_1).equals("HTTP/")) {
            return "HTTP answer to TLS garbage";
        }
        return b[0] == 0x15 ? "TLS alert, closed" : "TLS records, closed";
    }

    /** A real ClientHello record, as the JDK's TLS client would open with. */
    static byte[] clientHello() throws Exception {
        var engine = SSLContext.getDefault().createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        var out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static String flip(String signature) {
        char[] c = signature.toCharArray();
        int i = c.length / 2;
        c[i] = c[i] == 'A' ? 'B' : 'A';
        return new String(c);
    }

    /** The classic key confusion: HS256 keyed with the tenant's public key, which anyone can fetch. */
    static String hs256WithPublicKey(RSAKey key, String claims) throws Exception {
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256)
                        .type(JOSEObjectType.JWT)
                        .keyID(key.getKeyID())
                        .build(),
                com.nimbusds.jwt.JWTClaimsSet.parse(
                        new String(Base64.getUrlDecoder().decode(claims), StandardCharsets.UTF_8)));
        byte[] secret = key.toPublicJWK().toRSAPublicKey().getEncoded();
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }

    String signWith(RSAKey signer, JWSHeader header) throws Exception {
        var jwt = new SignedJWT(header, tenant.claims(EntraTenant.TENANT).build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(signer));
        return jwt.serialize();
    }

    void printFigures() throws IOException {
        var out = new StringBuilder(
                "\n| category | cases | answers | reached the site | completed there |\n|---|---:|---|---:|---:|\n");
        int cases = 0;
        for (var e : figures.entrySet()) {
            var f = e.getValue();
            cases += f.cases;
            out.append("| ")
                    .append(e.getKey())
                    .append(" | ")
                    .append(f.cases)
                    .append(" | ")
                    .append(f.answers())
                    .append(f.slowestCloseMillis >= 0 ? "; slowest close " + f.slowestCloseMillis + " ms" : "")
                    .append(" | ")
                    .append(f.reachedSite)
                    .append(" | ")
                    .append(f.completedAtSite)
                    .append(" |\n");
        }
        long refusals = Files.readAllLines(gw.log()).stream()
                .filter(l -> l.contains("refused status="))
                .count();
        out.append("\ncases: ")
                .append(cases)
                .append("; gateway process ")
                .append(gatewayPid)
                .append(gw.processHandle().isAlive() ? " alive" : " DEAD")
                .append("; refusals logged with a reason: ")
                .append(refusals)
                .append('\n');
        System.out.println(out);
    }
}
