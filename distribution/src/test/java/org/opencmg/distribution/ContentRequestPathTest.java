package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.Database;

/**
 * The request path stays off the database (review M7): a flood of forged and genuine content URLs
 * and content-location requests makes no SQL statement at all. Counted by H2 itself
 * (INFORMATION_SCHEMA.QUERY_STATISTICS) on the gateway's real store; only what runs whatever the
 * traffic (the state pollers' revision reads, the pool's connection set-up) may appear.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContentRequestPathTest {

    static final String PKG = "NODB0001";
    /**
     * What runs with or without requests: the host's and the plugin's pollers read their revisions
     * twice a second, and the pool sets up each connection it opens.
     */
    static final List<String> BACKGROUND_STATEMENTS = List.of(
            "select topic, revision from state_revisions",
            "select revision from content_revision",
            "set mode postgresql",
            "set default_null_ordering high",
            "call readonly()");

    Path dir;
    GatewayFixture gw;
    HttpClient http;
    Database db;
    String token;
    String url;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = new GatewayFixture(dir, pki, new RecordingForwarder());
        http = HttpClient.newBuilder()
                .sslContext(pki.clientContext(null))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        gw.check(gw.cli(
                "settings",
                "set",
                "plugins.role-content.fs-root",
                dir.resolve("content-store").toString()));
        Path file = dir.resolve("readme.txt");
        Files.writeString(file, "hello content\n");
        assertThat(cmg("content", "upload", file.toString(), "--package", PKG)[0])
                .isEqualTo("0");
        String[] lines = cmg("content", "token", "--package", PKG)[1].strip().split("\n");
        token = lines[lines.length - 1].strip();
        var located = get("/downloadrestservice.svc/getcontentxmlsecure?pid=" + PKG, "Bearer " + token);
        assertThat(located.statusCode()).isEqualTo(200);
        var m = Pattern.compile("Url=\"https://[^/]+([^\"]+)\"").matcher(located.body());
        assertThat(m.find()).isTrue();
        url = m.group(1).replace("&amp;", "&");
        db = Database.open(GatewayConfig.load(dir.resolve("gateway.yaml")).database()); // the same embedded H2 database
    }

    @AfterAll
    void stop() {
        if (db != null) {
            db.close();
        }
        if (http != null) {
            http.close();
        }
        if (gw != null) {
            gw.close();
        }
    }

    @Test
    void aFloodOfContentRequestsMakesNoDatabaseStatement() throws Exception {
        long se = Instant.now().plusSeconds(3600).getEpochSecond();
        String forgedJwt = forgedContentToken();
        var statuses = new HashMap<String, Integer>();
        Thread.sleep(1500); // three polls: the pollers have reloaded whatever the set-up changed
        try (Connection c = db.connection();
                var s = c.createStatement()) {
            s.execute("set query_statistics false");
            s.execute("set query_statistics true"); // starts counting afresh
        }
        for (int i = 0; i < 50; i++) {
            statuses.put("garbage", get("/content/x/1/y?se=1&kid=1&sig=x", null).statusCode());
            statuses.put(
                    "well-formed forgery",
                    get("/content/" + PKG + "/1/readme.txt?se=" + se + "&kid=1&sig=" + "A".repeat(43), null)
                            .statusCode());
            statuses.put(
                    "unknown kid",
                    get("/content/" + PKG + "/1/readme.txt?se=" + se + "&kid=99&sig=" + "A".repeat(43), null)
                            .statusCode());
            statuses.put("genuine url", get(url, null).statusCode());
            statuses.put(
                    "forged jwt",
                    get("/downloadrestservice.svc/getcontentxmlsecure?pid=" + PKG, "Bearer " + forgedJwt)
                            .statusCode());
            statuses.put(
                    "genuine token",
                    get("/downloadrestservice.svc/getcontentxmlsecure?pid=" + PKG, "Bearer " + token)
                            .statusCode());
        }
        List<String> ran = new ArrayList<>();
        try (Connection c = db.connection();
                var s = c.createStatement();
                var rs = s.executeQuery(
                        "select sql_statement, execution_count from information_schema.query_statistics")) {
            while (rs.next()) {
                ran.add(rs.getString(1).strip().toLowerCase(java.util.Locale.ROOT) + " (" + rs.getLong(2) + "x)");
            }
            s.execute("set query_statistics false");
        }

        assertThat(statuses)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "garbage",
                        403,
                        "well-formed forgery",
                        403,
                        "unknown kid",
                        403,
                        "genuine url",
                        200,
                        "forged jwt",
                        401,
                        "genuine token",
                        200));
        assertThat(ran)
                .as("statements during 300 device requests")
                .allSatisfy(sql -> assertThat(BACKGROUND_STATEMENTS)
                        .anySatisfy(p -> assertThat(sql).startsWith(p)));
    }

    /** An HS256 JWT of the content issuer, signed with a key the gateway never had. */
    static String forgedContentToken() throws Exception {
        var claims = new JWTClaimsSet.Builder()
                .issuer("urn:opencmg:content")
                .audience("opencmg-content")
                .claim("pid", PKG)
                .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1))))
                .build();
        var jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("1").build(), claims);
        jwt.sign(new MACSigner(new byte[32]));
        return jwt.serialize();
    }

    HttpResponse<String> get(String pathAndQuery, String authorization) throws Exception {
        var b = HttpRequest.newBuilder(gw.clientUrl(pathAndQuery)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    String[] cmg(String... args) {
        return ContentDistributionTest.cmg(dir, args);
    }
}
