package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prometheus metrics on the admin connector: cmg_ series and the JVM's, for administrators or the scrape token. */
class MetricsTest {

    @TempDir
    Path dir;

    @Test
    void metricsNeedAnAdminOrTheScrapeTokenAndCountRequestsAndRefusals() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var gw = new GatewayFixture(dir, pki, new RecordingForwarder())) {
            RawHttps.exchange(
                    pki.clientContext(null),
                    gw.clientPort(),
                    "GET /CCM_Proxy_MutualAuth/1/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

            var http =
                    HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
            String base = "https://localhost:" + gw.gateway().adminPort();
            String basic = "Basic "
                    + Base64.getEncoder()
                            .encodeToString(
                                    ("admin:" + GatewayFixture.ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));

            var anonymous = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);

            var scrape = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                            .header("Authorization", basic)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body())
                    .contains("cmg_refusals_total{reason=\"no_credentials\",status=\"401\"}")
                    .contains("cmg_requests_seconds_bucket{status=\"4xx\"")
                    .contains("cmg_channels_open")
                    .contains("jvm_memory_used_bytes")
                    .doesNotContain(GatewayFixture.ADMIN_PASSWORD);

            // Seconds until each connector certificate's notAfter (the client one is the test PKI's).
            double untilNotAfter = java.time.Duration.between(
                            java.time.Instant.now(),
                            pki.server.certificate().getNotAfter().toInstant())
                    .toSeconds();
            assertThat(gw.metric("cmg_certificate_expiry_seconds{connector=\"client\"}"))
                    .isCloseTo(untilNotAfter, org.assertj.core.data.Offset.offset(120.0));
            for (String connector : new String[] {"channel", "admin"}) {
                assertThat(gw.metric("cmg_certificate_expiry_seconds{connector=\"" + connector + "\"}"))
                        .as(connector)
                        .isGreaterThan(86_400.0);
            }

            var made = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics/token"))
                            .header("Authorization", basic)
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(made.statusCode()).isEqualTo(200);
            String token = new ObjectMapper()
                    .readTree(made.body())
                    .path("scrape_token")
                    .asText();
            var withToken = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                            .header("Authorization", "Bearer " + token)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(withToken.statusCode()).isEqualTo(200);

            http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics/token"))
                            .header("Authorization", basic)
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            var oldToken = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                            .header("Authorization", "Bearer " + token)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(oldToken.statusCode())
                    .as("a new scrape token replaces the old one at once")
                    .isEqualTo(401);
        }
    }
}
