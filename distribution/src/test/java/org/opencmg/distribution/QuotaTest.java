package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.PemFiles;

/**
 * Quotas instead of a kill switch, end to end: a real gateway, connection point and internal
 * server. A runaway device looping on one URL meets 429 after exactly its per-device budget, while
 * another device on the same URL and the same device on another endpoint keep their 200s; an
 * endpoint's egress budget closes the endpoint for every device once the answers sent reach it
 * (the answer in flight is not cut); the metrics, the refusal counts, {@code cmg explain} and the
 * CLI / API round trip (audited) say the same.
 */
class QuotaTest {

    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";
    static final String OTHER = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_Incoming";
    static final String CONTENT = "/CCM_Proxy_MutualAuth/72057594037927939/SMS_DP";
    static final int DEVICE_BUDGET = 20;

    @TempDir
    Path dir;

    @Test
    void aRunawayDeviceIsThrottledOnItsEndpointOnlyAndAnEgressBudgetClosesTheEndpointAfterTheAnswerInFlight()
            throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki)) {
            gw.trustTestDevices();
            gw.publish(MP, site.url("/mp"), "PS1");
            gw.publish(OTHER, site.url("/incoming"), "PS1");
            gw.publish(CONTENT, site.url("/dp"), "PS1");
            try (var cp = new ConnectionPointFixture(dir, pki, "cp-quota", "PS1")
                    .register(gw)
                    .start(gw.channelUrl())
                    .awaitUp()) {
                gw.check(gw.cli(
                        "endpoint",
                        "quota",
                        "set",
                        MP.toLowerCase(java.util.Locale.ROOT),
                        "--window",
                        "1h",
                        "--device-requests",
                        Integer.toString(DEVICE_BUDGET),
                        "--requests",
                        "1000",
                        "--warn",
                        "50"));
                assertThat(gw.out)
                        .contains("quota of " + MP + " per 1h: 1000 requests, any egress bytes; per device "
                                + DEVICE_BUDGET + " requests, any egress bytes; warning at 50%");

                var runaway = new DeviceClient(gw, pki.device("runaway-device"));
                var neighbour = new DeviceClient(gw, pki.device("neighbour-device"));
                var statuses = new ArrayList<Integer>();
                HttpResponse<String> first429 = null;
                for (int i = 0; i < DEVICE_BUDGET + 10; i++) {
                    var r = runaway.get(MP + "/loop?i=" + i);
                    statuses.add(r.statusCode());
                    if (r.statusCode() == 429 && first429 == null) {
                        first429 = r;
                    }
                }
                assertThat(statuses.subList(0, DEVICE_BUDGET))
                        .as("the device's budget")
                        .containsOnly(200);
                assertThat(statuses.subList(DEVICE_BUDGET, statuses.size()))
                        .as("past it, until the window ends")
                        .containsOnly(429);
                assertThat(first429.body()).isEqualTo("429 device_quota_exceeded\n");
                long retryAfter = Long.parseLong(
                        first429.headers().firstValue("Retry-After").orElseThrow());
                assertThat(retryAfter).as("seconds to the end of the 1h window").isBetween(1L, 3600L);
                assertThat(site.seen.stream()
                                .filter(s -> s.query() != null && s.query().startsWith("i="))
                                .count())
                        .as("refused requests never reach the site")
                        .isEqualTo(DEVICE_BUDGET);

                assertThat(neighbour.get(MP + "/loop").statusCode())
                        .as("another device on the same URL")
                        .isEqualTo(200);
                assertThat(runaway.get(OTHER + "/elsewhere").statusCode())
                        .as("the same device on another endpoint")
                        .isEqualTo(200);

                // What the administrator sees: the use against the budget, the warning, the refusals.
                String mp = "endpoint=\"" + MP + "\"";
                assertThat(gw.metric("cmg_quota_use_ratio{budget=\"device_requests\"," + mp + "}"))
                        .isEqualTo(1.0);
                assertThat(gw.metric("cmg_quota_use_ratio{budget=\"requests\"," + mp + "}"))
                        .isEqualTo((DEVICE_BUDGET + 1) / 1000.0);
                assertThat(gw.metric("cmg_quota_warnings_total{budget=\"device_requests\"," + mp + "}"))
                        .as("the runaway device crossed 50% of its budget once")
                        .isEqualTo(1.0);
                assertThat(gw.metric("cmg_quota_warn_ratio{" + mp + "}")).isEqualTo(0.5);
                assertThat(gw.metric("cmg_refusals_total{reason=\"device_quota_exceeded\",status=\"429\"}"))
                        .isEqualTo(10.0);
                var listed = gw.api().get("quotas");
                assertThat(listed).hasSize(1);
                assertThat(listed.get(0).path("external_path").asText()).isEqualTo(MP);
                assertThat(listed.get(0).path("device_requests").asLong()).isEqualTo(DEVICE_BUDGET);
                assertThat(listed.get(0).path("egress_bytes").isNull()).isTrue();
                assertThat(listed.get(0).path("use").path("requests").asLong()).isEqualTo(DEVICE_BUDGET + 1);
                assertThat(listed.get(0)
                                .path("use")
                                .path("busiest_device_requests")
                                .asLong())
                        .isEqualTo(DEVICE_BUDGET);
                gw.check(gw.cli("endpoint", "quota", "list"));
                assertThat(gw.out)
                        .containsPattern(java.util.regex.Pattern.quote(MP) + "\\s+1h\\s+" + (DEVICE_BUDGET + 1)
                                + "/1000\\s+-\\s+" + DEVICE_BUDGET + "/" + DEVICE_BUDGET + "\\s+-\\s+50%");

                // cmg explain says which device would be refused, counting nothing.
                assertThat(gw.cli(
                                "explain",
                                MP + "/loop",
                                "--cert",
                                certFile("runaway", runaway).toString()))
                        .isEqualTo(1);
                assertThat(gw.out)
                        .startsWith("429 device_quota_exceeded")
                        .contains(DEVICE_BUDGET + " of " + DEVICE_BUDGET + " requests");
                assertThat(gw.cli(
                                "explain",
                                MP + "/loop",
                                "--cert",
                                certFile("neighbour", neighbour).toString()))
                        .as(gw.out)
                        .isZero();

                // Egress: 3000 bytes an hour for the whole endpoint. The second answer crosses it and is
                // sent whole; the next request is refused, for every device.
                gw.check(gw.cli("endpoint", "quota", "set", CONTENT, "--window", "1h", "--egress", "3000"));
                var first = runaway.http.send(
                        runaway.request(CONTENT + "/big/download?bytes=2000")
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                var second = neighbour.http.send(
                        neighbour
                                .request(CONTENT + "/big/download?bytes=2000")
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(List.of(first.statusCode(), first.body().length, second.statusCode(), second.body().length))
                        .as("answers under and across the budget are sent whole")
                        .containsExactly(200, 2000, 200, 2000);
                var closed = neighbour.get(CONTENT + "/big/download?bytes=10");
                assertThat(closed.statusCode()).isEqualTo(429);
                assertThat(closed.body()).isEqualTo("429 quota_exceeded\n");
                assertThat(closed.headers().firstValue("Retry-After")).isPresent();
                assertThat(runaway.get(CONTENT + "/x").statusCode())
                        .as("the endpoint's budget is every device's")
                        .isEqualTo(429);
                assertThat(gw.metric("cmg_quota_use_ratio{budget=\"egress_bytes\",endpoint=\"" + CONTENT + "\"}"))
                        .isEqualTo(4000 / 3000.0);

                // Removed, the endpoint counts and refuses nothing any more; both changes are audited.
                gw.check(gw.cli("endpoint", "quota", "remove", MP));
                assertThat(runaway.get(MP + "/loop").statusCode()).isEqualTo(200);
                assertThat(gw.cli("endpoint", "quota", "remove", MP))
                        .as("nothing left to remove")
                        .isEqualTo(1);
                assertThat(gw.out).contains("no budgets are set on");
                assertThat(gw.cli(
                                "endpoint",
                                "quota",
                                "set",
                                "/CCM_Proxy_MutualAuth/1/Unpublished",
                                "--window",
                                "1h",
                                "--requests",
                                "5"))
                        .isEqualTo(1);
                assertThat(gw.out).contains("no endpoint is published");
                assertThat(gw.cli("endpoint", "quota", "set", OTHER, "--window", "1y", "--requests", "5"))
                        .isEqualTo(1);
                assertThat(gw.out).contains("window");
                String audit = gw.api().get("audit").toString();
                assertThat(audit)
                        .contains("quota.set")
                        .contains("device_requests=" + DEVICE_BUDGET)
                        .contains("quota.remove");
            }
        }
    }

    /**
     * Budgets are counted off the database, as the rest of the request path (ContentRequestPathTest):
     * counted by H2 itself during 300 budgeted requests, the only statements are the pollers' and
     * the quota sharing's, which runs every 2 s whatever the traffic.
     */
    @Test
    void countingBudgetsMakesNoDatabaseStatementPerRequest() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var gw = new GatewayFixture(Files.createDirectories(dir.resolve("gw")), pki, new RecordingForwarder())) {
            gw.trustTestDevices();
            gw.publish(MP, "https://mp.corp.example/CCM_System", "PS1");
            gw.check(gw.cli(
                    "endpoint", "quota", "set", MP, "--window", "1h", "--device-requests", "100", "--egress", "1GiB"));
            var device = new DeviceClient(gw, pki.device("counted-device"));
            assertThat(device.get(MP + "/warm").statusCode()).isEqualTo(200);
            Thread.sleep(1500); // the pollers have reloaded whatever the set-up changed
            try (var db = org.opencmg.server.store.Database.open(
                    org.opencmg.server.config.GatewayConfig.load(gw.dir.resolve("gateway.yaml"))
                            .database())) {
                try (var c = db.connection();
                        var st = c.createStatement()) {
                    st.execute("set query_statistics false");
                    st.execute("set query_statistics true");
                }
                long start = System.nanoTime();
                var statuses = new java.util.TreeMap<Integer, Integer>();
                for (int i = 0; i < 300; i++) {
                    statuses.merge(device.get(MP + "/loop").statusCode(), 1, Integer::sum);
                }
                long seconds = (System.nanoTime() - start) / 1_000_000_000L + 1;
                var ran = new java.util.ArrayList<String>();
                long sharing = 0;
                try (var c = db.connection();
                        var st = c.createStatement();
                        var rs = st.executeQuery(
                                "select sql_statement, execution_count from information_schema.query_statistics")) {
                    while (rs.next()) {
                        String sql = rs.getString(1).strip().toLowerCase(java.util.Locale.ROOT);
                        ran.add(sql + " (" + rs.getLong(2) + "x)");
                        if (sql.contains("quota_use") || sql.equals("commit")) { // the sharing's transaction
                            sharing = Math.max(sharing, rs.getLong(2));
                        }
                    }
                    st.execute("set query_statistics false");
                }
                assertThat(statuses).containsExactly(java.util.Map.entry(200, 99), java.util.Map.entry(429, 201));
                assertThat(ran)
                        .as("statements during 300 budgeted requests")
                        .allSatisfy(sql -> assertThat(ContentRequestPathTest.BACKGROUND_STATEMENTS.stream()
                                                .anyMatch(sql::startsWith)
                                        || sql.contains("quota_use")
                                        || sql.startsWith("commit ("))
                                .as(sql)
                                .isTrue());
                assertThat(sharing)
                        .as("each sharing statement runs once per 2 s, not per request")
                        .isLessThanOrEqualTo(seconds / 2 + 2);
            }
        }
    }

    private Path certFile(String name, DeviceClient device) throws Exception {
        Path p = dir.resolve(name + ".pem");
        PemFiles.writeCertificates(p, List.of(device.certificate.certificate()));
        return p;
    }
}
