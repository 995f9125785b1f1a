package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP Basic on the admin API and /metrics shares the console's failed-login delay (review L2): a
 * guess inside the delay is answered 429 with Retry-After and never hashed, simultaneous guesses get
 * one check, and an unknown user name costs the same Argon2id evaluation as a known one (counted by
 * cmg_admin_password_checks_total, read with the scrape token, which no throttle touches).
 */
class AdminBasicThrottleTest {

    private static final Pattern CHECKS = Pattern.compile("(?m)^cmg_admin_password_checks_total (\\S+)$");

    @TempDir
    Path dir;

    GatewayFixture gw;
    HttpClient http;
    String scrapeToken;

    @BeforeEach
    void start() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = new GatewayFixture(dir, pki, new RecordingForwarder());
        http = HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
        var made = http.send(
                HttpRequest.newBuilder(gw.adminUrl("/metrics/token"))
                        .header("Authorization", basic("admin", GatewayFixture.ADMIN_PASSWORD))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        scrapeToken =
                new ObjectMapper().readTree(made.body()).path("scrape_token").asText();
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        return http.send(
                HttpRequest.newBuilder(gw.adminUrl(path))
                        .header("Authorization", authorization)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Argon2id evaluations of administrator passwords so far. */
    private double passwordChecks() throws Exception {
        var m = CHECKS.matcher(get("/metrics", "Bearer " + scrapeToken).body());
        assertThat(m.find()).as("cmg_admin_password_checks_total is exported").isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static void waitOut(HttpResponse<String> throttled) throws InterruptedException {
        Thread.sleep(
                Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow()) * 1000 + 100);
    }

    @Test
    void guessesOnTheApiAndMetricsWaitAsOnTheConsole() throws Exception {
        var first = get("/api/status", basic("admin", "guess-1"));
        assertThat(first.statusCode()).isEqualTo(401);
        assertThat(first.body()).contains("bad_credentials");

        var second = get("/api/status", basic("admin", "guess-2"));
        assertThat(second.statusCode())
                .as("one failure: the next guess waits 1 s, as on the console")
                .isEqualTo(429);
        assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(second.body()).contains("login_throttled");

        var onMetrics = get("/metrics", basic("admin", "guess-3"));
        assertThat(onMetrics.statusCode())
                .as("one throttle for the API and /metrics")
                .isEqualTo(429);
        assertThat(onMetrics.headers().firstValue("Retry-After")).isPresent();

        var console = gw.consoleSignIn(http, "admin", "guess-4");
        assertThat(console.statusCode()).as("and for the console's form").isEqualTo(429);
        assertThat(get("/metrics", "Bearer " + scrapeToken).body())
                .as("each refusal counted, the console's too")
                .contains("cmg_refusals_total{reason=\"login_throttled\",status=\"429\"} 3.0")
                .contains("cmg_refusals_total{reason=\"bad_credentials\",status=\"401\"} 1.0");

        waitOut(second);
        assertThat(get("/metrics", basic("admin", "guess-5")).statusCode()).isEqualTo(401);
        var fourth = get("/api/status", basic("admin", "guess-6"));
        assertThat(fourth.statusCode()).isEqualTo(429);
        assertThat(fourth.headers().firstValue("Retry-After"))
                .as("two failures: 2 s")
                .hasValue("2");

        waitOut(fourth);
        assertThat(get("/api/status", basic("admin", GatewayFixture.ADMIN_PASSWORD))
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void sixtySimultaneousGuessesGetOnlyTheChecksTheDelayAllows() throws Exception {
        double before = passwordChecks();
        long start = System.nanoTime();
        var answers = new ArrayList<CompletableFuture<HttpResponse<String>>>();
        for (int i = 0; i < 60; i++) {
            answers.add(http.sendAsync(
                    HttpRequest.newBuilder(gw.adminUrl(i % 2 == 0 ? "/api/status" : "/metrics"))
                            .header("Authorization", basic("admin", "guess-" + i))
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int checked = 0;
        int throttled = 0;
        for (var a : answers) {
            int status = a.join().statusCode();
            checked += status == 401 ? 1 : 0;
            throttled += status == 429 ? 1 : 0;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // The k-th check can come only 1 + 2 + ... + 2^(k-2) = 2^(k-1) - 1 seconds after the first.
        int allowed = 1 + (int) Math.floor(Math.log(seconds + 1) / Math.log(2));
        assertThat(checked).as("checks in %.1f s", seconds).isBetween(1, allowed);
        assertThat(throttled).isEqualTo(60 - checked);
        assertThat(passwordChecks() - before).as("Argon2id evaluations").isEqualTo(checked);
    }

    @Test
    void anUnknownUserCostsTheSameHashAsAKnownOne() throws Exception {
        double before = passwordChecks();
        var known = get("/api/status", basic("admin", "guess"));
        assertThat(known.statusCode()).isEqualTo(401);
        assertThat(passwordChecks() - before).isEqualTo(1);

        waitOut(get("/api/status", basic("admin", "guess")));
        var unknown = get("/api/status", basic("no-such-admin", "guess"));
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.body()).as("the same answer").isEqualTo(known.body());
        assertThat(passwordChecks() - before)
                .as("the unknown name was hashed too")
                .isEqualTo(2);

        var tooLong = get("/api/status", basic("a".repeat(129), "guess"));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("user_name_too_long");
        assertThat(passwordChecks() - before).isEqualTo(2);
    }
}
