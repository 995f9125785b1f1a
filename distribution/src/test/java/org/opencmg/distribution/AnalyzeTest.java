package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.DevPki;
import org.opencmg.pki.KeyMaterial;

/**
 * {@code cmg analyze} against the demo (in this JVM: gateway with the real plugins, connection
 * point, sample management point and software update point, simulated Entra tenant): every hop
 * passes for a certificate, a token and an Entra device; then one hop is broken at a time, and the
 * analyzer names that hop and its reason. The breaks that cannot be undone come last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnalyzeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOPS =
            List.of("tls", "authentication", "mapping", "channel", "connection_point", "internal_server", "answer");

    @TempDir
    static Path dir;

    private TokenTopology demo;
    private String mp;
    private String sup;

    @BeforeAll
    void start() throws Exception {
        demo = TokenTopology.start(dir.resolve("demo"));
        mp = demo.demoJson.path("mp_role_id").asText();
        sup = demo.demoJson.path("sup_role_id").asText();
    }

    @AfterAll
    void stop() {
        if (demo != null) {
            demo.close();
        }
    }

    private JsonNode analyze(String... more) throws Exception {
        var args = new ArrayList<>(List.of("analyze", "--demo", demo.dir.toString(), "--json"));
        args.addAll(List.of(more));
        var run = demo.cli(args.toArray(String[]::new));
        assertThat(run.code()).as(run.all()).isIn(0, 1);
        JsonNode report = JSON.readTree(run.out());
        assertThat(run.code())
                .as("exit code follows the verdict: " + run.all())
                .isEqualTo(report.path("ok").asBoolean() ? 0 : 1);
        return report;
    }

    private static List<JsonNode> rows(JsonNode report, String kind) {
        var out = new ArrayList<JsonNode>();
        report.path("rows").forEach(r -> {
            if (r.path("kind").asText().equals(kind)) {
                out.add(r);
            }
        });
        return out;
    }

    @Test
    @Order(1)
    void everyHopPassesForTheThreeKindsOfDeviceWithNothingButTheDemo() throws Exception {
        long forwardedBefore = cpMetric("cmg_cp_exchanges_forwarded_total");
        var table = demo.cli("analyze", "--demo", demo.dir.toString());
        assertThat(table.code()).as(table.all()).isZero();
        assertThat(table.out()).contains("all passed");

        JsonNode report = analyze();
        assertThat(report.path("ok").asBoolean()).isTrue();
        for (String kind : List.of("certificate", "token", "entra")) {
            var rows = rows(report, kind);
            // Both roles of the demo, through its one instance and its one connection point.
            assertThat(rows).extracting(r -> r.path("role").asText()).containsExactlyInAnyOrder(mp, sup);
            for (JsonNode r : rows) {
                assertThat(r.path("instance").asText()).isEqualTo("demo-gw");
                assertThat(r.path("connection_point").asText()).isEqualTo("demo-cp");
                assertThat(r.path("verdict").asText()).as(r.toString()).isEqualTo("ok");
                assertThat(r.path("hops").findValuesAsText("name")).isEqualTo(HOPS);
                assertThat(r.path("hops").findValuesAsText("verdict")).containsOnly("ok");
            }
        }
        assertThat(rows(report, "certificate")
                        .getFirst()
                        .path("hops")
                        .get(1)
                        .path("detail")
                        .asText())
                .startsWith("pki:");
        assertThat(rows(report, "certificate").getFirst().path("path").asText()).startsWith("/CCM_Proxy_MutualAuth/");
        assertThat(rows(report, "entra").getFirst().path("path").asText()).startsWith("/CCM_Proxy_ServerAuth/");

        // Synthetic exchanges are counted apart, at both ends, never as device traffic.
        assertThat(cpMetric("cmg_cp_exchanges_forwarded_total")).isEqualTo(forwardedBefore);
        assertThat(cpMetric("cmg_cp_analyzer_exchanges_total")).isGreaterThanOrEqualTo(12);
        assertThat(gatewayMetrics()).containsPattern("cmg_analyzer_exchanges_total\\{outcome=\"ok\"[^}]*} 1[2-9]");
        // A device cannot pass for the analyzer: its X-OpenCMG-* headers never reach the connection point.
        long synthetic = cpMetric("cmg_cp_analyzer_exchanges_total");
        var device = KeyMaterial.read(demo.clientCert(), demo.clientKey());
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(device.keyStore(), KeyMaterial.TRANSIENT_PASSWORD.toCharArray());
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyMaterial.trustStore(demo.ca()));
        var tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        try (var http = HttpClient.newBuilder().sslContext(tls).build()) {
            var answer = http.send(
                    HttpRequest.newBuilder(URI.create(
                                    demo.clientUrl() + "/CCM_Proxy_MutualAuth/" + mp + "/SMS_MP/.sms_aut?MPLIST"))
                            .header("X-OpenCMG-Analyzer", "1")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
        }
        assertThat(cpMetric("cmg_cp_exchanges_forwarded_total")).isEqualTo(forwardedBefore + 1);
        assertThat(cpMetric("cmg_cp_analyzer_exchanges_total")).isEqualTo(synthetic);
        // Administrators' use is audited, without the credentials.
        String audit = demo.admin().get("audit?limit=5").toString();
        assertThat(audit).contains("\"analyze\"").doesNotContain("BEGIN CERTIFICATE");
    }

    @Test
    @Order(2)
    void aKindOfDeviceWithoutCredentialsIsSkippedNotFailed() throws Exception {
        JsonNode report = analyze("--kind", "certificate");
        assertThat(report.path("ok").asBoolean()).isTrue();
        for (String kind : List.of("token", "entra")) {
            assertThat(rows(report, kind)).singleElement().satisfies(r -> {
                assertThat(r.path("verdict").asText()).isEqualTo("skipped");
                assertThat(r.path("explanation").asText()).isEqualTo("no credentials given");
            });
        }
    }

    @Test
    @Order(3)
    void aCertificateTheGatewayDoesNotTrustFailsAtAuthentication() throws Exception {
        DevPki other = DevPki.init(dir.resolve("other-pki"), List.of());
        JsonNode report = analyze(
                "--cert",
                other.clientCert().toString(),
                "--key",
                other.clientKey().toString());
        assertThat(report.path("ok").asBoolean()).isFalse();
        for (JsonNode r : rows(report, "certificate")) {
            assertThat(r.path("verdict").asText()).isEqualTo("failed");
            assertThat(r.path("failed_hop").asText()).isEqualTo("authentication");
            // Another development CA of the same name as the trusted one: its signature gives it away.
            assertThat(r.path("reason").asText()).isEqualTo("bad_signature");
            assertThat(r.path("explanation").asText()).startsWith("authentication: bad_signature: ");
            assertThat(r.path("hops").get(0).path("verdict").asText())
                    .as("TLS itself passed")
                    .isEqualTo("ok");
            assertThat(r.path("hops").findValuesAsText("verdict").subList(2, HOPS.size()))
                    .containsOnly("not_reached");
        }
        // The other kinds are not affected.
        assertThat(rows(report, "token"))
                .extracting(r -> r.path("verdict").asText())
                .containsOnly("ok");
    }

    @Test
    @Order(4)
    void anUnpublishedRoleFailsAtMapping() throws Exception {
        var admin = demo.admin();
        String internal = null;
        for (JsonNode e : admin.get("endpoints")) {
            if (e.path("role_id").asText().equals(sup)
                    && e.path("name").asText().equals("clientwebservice")) {
                internal = e.path("internal_url").asText().replaceAll("/ClientWebService$", "");
            }
        }
        assertThat(internal).isNotNull();
        admin.delete("endpoints?role_id=" + sup);
        try {
            JsonNode report = analyze();
            assertThat(report.path("ok").asBoolean()).isFalse();
            for (String kind : List.of("certificate", "token", "entra")) {
                JsonNode r = rows(report, kind).stream()
                        .filter(x -> x.path("role").asText().equals(sup))
                        .findFirst()
                        .orElseThrow();
                assertThat(r.path("failed_hop").asText()).as(r.toString()).isEqualTo("mapping");
                assertThat(r.path("reason").asText()).isEqualTo("unmapped_path");
                assertThat(rows(report, kind).stream()
                                .filter(x -> x.path("role").asText().equals(mp)))
                        .extracting(x -> x.path("verdict").asText())
                        .containsOnly("ok");
            }
        } finally {
            admin.post(
                    "endpoints",
                    JSON.writeValueAsBytes(
                            Map.of("role", "sup", "role_id", sup, "site", "PS1", "internal_url", internal)),
                    "application/json");
        }
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .until(() -> analyze("--kind", "certificate").path("ok").asBoolean());
    }

    @Test
    @Order(5)
    void aStoppedInternalServerFailsAtTheInternalServerHop() throws Exception {
        demo.demo.managementPoint().close();
        JsonNode report = analyze();
        for (String kind : List.of("certificate", "token", "entra")) {
            JsonNode r = rows(report, kind).stream()
                    .filter(x -> x.path("role").asText().equals(mp))
                    .findFirst()
                    .orElseThrow();
            assertThat(r.path("failed_hop").asText()).as(r.toString()).isEqualTo("internal_server");
            assertThat(r.path("reason").asText()).isEqualTo("internal_server_unreachable");
            assertThat(r.path("connection_point").asText()).isEqualTo("demo-cp");
            assertThat(r.path("explanation").asText()).startsWith("internal_server: internal_server_unreachable: ");
        }
        // The software update point's server still runs.
        assertThat(rows(report, "certificate").stream()
                        .filter(x -> x.path("role").asText().equals(sup)))
                .extracting(x -> x.path("verdict").asText())
                .containsOnly("ok");
    }

    @Test
    @Order(6)
    void aStoppedConnectionPointFailsAtItsChannel() throws Exception {
        demo.demo.connectionPoint().close();
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .until(() -> !analyze("--kind", "certificate").path("ok").asBoolean());
        JsonNode report = analyze();
        for (String kind : List.of("certificate", "token", "entra")) {
            for (JsonNode r : rows(report, kind)) {
                assertThat(r.path("connection_point").asText()).isEqualTo("demo-cp");
                assertThat(r.path("failed_hop").asText()).as(r.toString()).isEqualTo("channel");
                assertThat(r.path("reason").asText()).isEqualTo("channel_down");
            }
        }
        var table = demo.cli("analyze", "--demo", demo.dir.toString());
        assertThat(table.code()).isEqualTo(1);
        assertThat(table.out())
                .contains("channel: channel_down: the connection point has no usable channel")
                .contains("FAILED");
    }

    private long cpMetric(String name) throws Exception {
        try (var http = HttpClient.newHttpClient()) {
            String body = http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                            + demo.demo.connectionPoint().monitorPort() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)").matcher(body);
            assertThat(m.find()).as(name + " in " + body).isTrue();
            return Long.parseLong(m.group(1));
        }
    }

    private String gatewayMetrics() throws Exception {
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyMaterial.trustStore(demo.ca()));
        var ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        String basic = Base64.getEncoder()
                .encodeToString((demo.demoJson.path("admin_user").asText() + ":"
                                + demo.demoJson.path("admin_password").asText())
                        .getBytes(StandardCharsets.UTF_8));
        try (var http = HttpClient.newBuilder().sslContext(ctx).build()) {
            return http.send(
                            HttpRequest.newBuilder(URI.create(
                                            demo.demoJson.path("admin_url").asText() + "/metrics"))
                                    .header("Authorization", "Basic " + basic)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        }
    }
}
