package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API refuses what a page of another site can make a browser send with cached HTTP Basic
 * credentials (review M5): a foreign Origin or Sec-Fetch-Site, and bodies of the types an HTML form or
 * a "simple" request can carry. A real gateway, over real TLS on loopback.
 */
class AdminApiCrossSiteTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASIC = "Basic "
            + Base64.getEncoder()
                    .encodeToString(("admin:" + GatewayFixture.ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;

    TestPki pki;
    GatewayFixture gw;
    HttpClient http;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = new GatewayFixture(dir, pki, new RecordingForwarder());
        http = HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    /** The body an HTML form with enctype=text/plain produces: a valid JSON object after the "pad" field. */
    private String roguePoint() throws Exception {
        String json = JSON.writeValueAsString(Map.of(
                "name",
                "rogue-cp",
                "site",
                "PS1",
                "connection_id",
                "attacker-chosen-id",
                "certificate",
                Files.readString(pki.file("root.pem"))));
        return json.substring(0, json.length() - 1) + ",\"pad\":\"=\"}";
    }

    private HttpResponse<String> post(String path, String contentType, String body, String... headers)
            throws Exception {
        var request = HttpRequest.newBuilder(gw.adminUrl(path))
                .header("Authorization", BASIC)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String reason(HttpResponse<String> answer) throws Exception {
        return JSON.readTree(answer.body()).path("reason").asText();
    }

    @Test
    void aCrossSitePostIsRefusedAndCreatesNothing() throws Exception {
        String own = "https://localhost:" + gw.gateway().adminPort();
        String[][] crossSite = {
            {"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"},
            {"Origin", "https://evil.example"},
            {"Sec-Fetch-Site", "cross-site"},
            {"Sec-Fetch-Site", "same-site"},
            {"Origin", "null"},
            {"Origin", "https://localhost:1"},
            {"Origin", "http://localhost:" + gw.gateway().adminPort()},
        };
        for (String[] headers : crossSite) {
            for (String type : new String[] {"text/plain", "application/json"}) {
                var answer = post("/api/connection-points", type, roguePoint(), headers);
                assertThat(answer.statusCode())
                        .as("%s with %s", String.join(" ", headers), type)
                        .isEqualTo(403);
                assertThat(reason(answer)).isEqualTo("cross_site");
            }
        }
        var token = post("/metrics/token", null, "", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site");
        assertThat(token.statusCode()).isEqualTo(403);
        assertThat(token.body()).isEqualTo("cross_site\n");

        assertThat(gw.api().get("connection-points"))
                .as("nothing was registered")
                .isEmpty();
        assertThat(post(
                                "/api/connection-points",
                                "application/json",
                                roguePoint(),
                                "Origin",
                                own,
                                "Sec-Fetch-Site",
                                "same-origin")
                        .statusCode())
                .as("the admin connector's own origin passes")
                .isEqualTo(201);
    }

    @Test
    void jsonRoutesRefuseTheTypesAFormCanSend() throws Exception {
        for (String type : new String[] {
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            null
        }) {
            var answer = post("/api/connection-points", type, roguePoint());
            assertThat(answer.statusCode()).as("Content-Type %s", type).isEqualTo(415);
            assertThat(reason(answer)).isEqualTo("unsupported_content_type");
        }
        String before = gw.api().get("settings/verify-revocation").path("value").asText();
        var put = http.send(
                HttpRequest.newBuilder(gw.adminUrl("/api/settings/verify-revocation"))
                        .header("Authorization", BASIC)
                        .header("Content-Type", "text/plain")
                        .PUT(HttpRequest.BodyPublishers.ofString("off"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(415);
        assertThat(gw.api().get("connection-points")).isEmpty();
        assertThat(gw.api().get("settings/verify-revocation").path("value").asText())
                .isEqualTo(before);

        var pemAsJson = post("/api/roots", "application/json", Files.readString(pki.file("root.pem")));
        assertThat(pemAsJson.statusCode())
                .as("an upload route takes its own types only")
                .isEqualTo(415);
        var jsonAsPem = post("/api/explain", "application/x-pem-file", "{\"url\": \"https://localhost/x\"}");
        assertThat(jsonAsPem.statusCode()).isEqualTo(415);

        assertThat(metrics())
                .as("each refusal is counted")
                .contains("cmg_refusals_total{reason=\"unsupported_content_type\",status=\"415\"} 8.0");
    }

    private String metrics() throws Exception {
        return http.send(
                        HttpRequest.newBuilder(gw.adminUrl("/metrics"))
                                .header("Authorization", BASIC)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    @Test
    void theCliSendsTheTypesEachRouteTakes() throws Exception {
        String before = gw.api().get("settings/verify-revocation").path("value").asText();
        gw.check(gw.cli("roots", "add", pki.file("root.pem").toString()));
        pki.writeCrls();
        gw.check(gw.cli("crl", "add", pki.file("root.crl").toString()));
        Path file = Files.writeString(dir.resolve("setup.txt"), "content bytes");
        gw.check(gw.cli("content", "upload", file.toString(), "--package", "pkg1", "--quiet"));
        gw.check(gw.cli("settings", "set", "verify-revocation", "off"));
        assertThat(gw.api().get("settings/verify-revocation").path("value").asText())
                .isNotEqualTo(before);
        gw.check(gw.cli(
                "connection-point",
                "register",
                "--name",
                "cp1",
                "--site",
                "PS1",
                "--cert",
                pki.file("root.pem").toString()));
        gw.check(gw.cli(
                "endpoint",
                "publish",
                "--external",
                "/CCM_Proxy_MutualAuth/1/x",
                "--internal",
                "https://mp.corp.example/x",
                "--site",
                "PS1"));
    }

    @Test
    void browsersGetNoBasicPromptOtherClientsDo() throws Exception {
        var browser = http.send(
                HttpRequest.newBuilder(gw.adminUrl("/api/status"))
                        .header("Sec-Fetch-Site", "none")
                        .header("Sec-Fetch-Mode", "navigate")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(browser.statusCode()).isEqualTo(401);
        assertThat(browser.headers().firstValue("WWW-Authenticate"))
                .as("no prompt, so no cached credentials")
                .isEmpty();
        assertThat(reason(browser)).isEqualTo("login_required");

        var script = http.send(
                HttpRequest.newBuilder(gw.adminUrl("/api/status")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(script.statusCode()).isEqualTo(401);
        assertThat(script.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
    }
}
