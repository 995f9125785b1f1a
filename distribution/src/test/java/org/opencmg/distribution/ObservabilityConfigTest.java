package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Grafana dashboard (config/grafana/opencmg.json) and Prometheus alerting rules
 * (config/prometheus/opencmg-rules.yml): the rules pass {@code promtool check rules} (Debian's
 * prometheus package; skipped when it is missing, except under CI=true), the dashboard is a valid
 * model whose every panel has a datasource and a query, and every series either queries is one a
 * real gateway or connection point writes on its /metrics (and every cmg_ family they write is on
 * the dashboard).
 */
class ObservabilityConfigTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path RULES = ROOT.resolve("config/prometheus/opencmg-rules.yml");
    static final Path DASHBOARD = ROOT.resolve("config/grafana/opencmg.json");

    static final String SITE = ChannelStreamsTest.SITE;
    static final String MP = ChannelStreamsTest.MP;
    static final String OUTSIDE = ConnectionPointMonitorTest.OUTSIDE;

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        Optional<Path> promtool = onPath("promtool");
        if (promtool.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("promtool is not installed (Debian: apt-get install prometheus; ./run-tests installs it)");
            }
            assumeTrue(false, "promtool is not installed (apt-get install prometheus)");
        }
        var process = new ProcessBuilder(promtool.get().toString(), "check", "rules", RULES.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        assertThat(out).contains("SUCCESS");
    }

    @Test
    void everyRuleHasADurationASeverityAndSaysWhatToDo() throws Exception {
        List<JsonNode> rules = rules();
        assertThat(rules).hasSizeGreaterThanOrEqualTo(8);
        for (JsonNode rule : rules) {
            String name = rule.path("alert").asText();
            assertThat(name).as("every rule is an alert").isNotBlank();
            assertThat(rule.path("for").asText()).as(name).isNotBlank();
            assertThat(rule.path("labels").path("severity").asText()).as(name).isIn("warning", "critical");
            assertThat(rule.path("annotations").path("summary").asText())
                    .as(name)
                    .isNotBlank();
            assertThat(rule.path("annotations").path("description").asText())
                    .as(name)
                    .hasSizeGreaterThan(40);
        }
    }

    @Test
    void theDashboardIsAModelWhosePanelsHaveADatasourceAndAQuery() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("uid").asText()).isEqualTo("opencmg");
        var variables = new TreeSet<String>();
        dashboard
                .path("templating")
                .path("list")
                .forEach(v -> variables.add(v.path("name").asText()));
        assertThat(variables).contains("datasource", "instance");
        assertThat(dashboard.path("templating").path("list").get(0).path("type").asText())
                .isEqualTo("datasource");
        int panels = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                continue;
            }
            String title = panel.path("title").asText();
            assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as(title).isNotEmpty();
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("expr").asText()).as(title).isNotBlank();
                assertThat(target.path("datasource").path("uid").asText())
                        .as(title)
                        .isEqualTo("${datasource}");
            }
            assertThat(panel.path("gridPos").path("w").asInt()).as(title).isPositive();
            panels++;
        }
        assertThat(panels).isGreaterThanOrEqualTo(15);
    }

    /**
     * A gateway with a connection point, a little traffic of every kind the lazily registered
     * series need (a forwarded request with a header the site does not get, a refusal at the
     * gateway, one at the connection point), then both /metrics against the queries.
     */
    @Test
    void everySeriesTheQueriesUseIsWrittenAndEveryCmgSeriesIsOnTheDashboard(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        Set<String> written = new TreeSet<>(Set.of("up")); // Prometheus's own, per scrape target
        Set<String> families = new TreeSet<>();
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki)) {
            gw.trustTestDevices();
            gw.publish(MP, site.url("/internal/CCM_System"), SITE);
            gw.publish(OUTSIDE, site.url("/elsewhere"), SITE);
            // A budget the one forwarded request below takes to its warning threshold (the quota series).
            gw.check(gw.cli("endpoint", "quota", "set", MP, "--window", "1h", "--requests", "2", "--warn", "50"));
            var cp = new ConnectionPointFixture(dir, pki, "cp-observed", SITE);
            cp.extraConfig = "monitor: {port: 0}";
            cp.allowedUrls = List.of(site.url("/internal/CCM_System"));
            Awaitility.await("the site without a channel")
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> gw.metric("cmg_sites_without_channel") == 1.0);
            cp.register(gw).start(gw.channelUrl()).awaitUp();
            try {
                assertThat(gw.metric("cmg_sites_without_channel")).isZero();
                var device = new DeviceClient(gw, pki.device("device-observed"));
                assertThat(device.http
                                .send(
                                        device.request(MP + "/one")
                                                .header("X-Not-For-The-Site", "1")
                                                .GET()
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode())
                        .isEqualTo(200);
                assertThat(device.get(OUTSIDE + "/two").statusCode()).isEqualTo(403);
                RawHttps.exchange(
                        pki.clientContext(null),
                        gw.clientPort(),
                        "GET " + MP + "/three HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                System.gc(); // the GC pause timers appear with the first collection the gateway sees
                Awaitility.await("the traffic and a GC on /metrics")
                        .atMost(Duration.ofSeconds(15))
                        .until(() -> gw.metrics().contains("jvm_gc_pause_seconds_count")
                                && gw.metrics().contains("cmg_endpoint_requests_total"));
                scan(gw.metrics(), written, families);
                try (var http = HttpClient.newHttpClient()) {
                    scan(
                            http.send(
                                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                                            + cp.point().monitorPort() + "/metrics"))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .body(),
                            written,
                            families);
                }
            } finally {
                cp.close();
            }
        }
        assertThat(written)
                .contains(
                        "cmg_certificate_expiry_seconds",
                        "cmg_cp_channel_up",
                        "cmg_requests_seconds_bucket",
                        "cmg_request_headers_dropped_total",
                        "cmg_cp_exchanges_refused_total",
                        "hikaricp_connections_active",
                        "jetty_threads_busy",
                        "cmg_quota_use_ratio",
                        "cmg_quota_warn_ratio",
                        "cmg_quota_warnings_total");

        var queries = new ArrayList<String>();
        rules().forEach(rule -> queries.add(rule.path("expr").asText()));
        new ObjectMapper()
                .readTree(DASHBOARD.toFile())
                .path("panels")
                .forEach(panel -> panel.path("targets")
                        .forEach(t -> queries.add(t.path("expr").asText())));
        Set<String> used = new TreeSet<>();
        queries.forEach(q -> used.addAll(seriesIn(q)));
        assertThat(used)
                .contains("up", "cmg_certificate_expiry_seconds", "cmg_cp_channels_up", "jvm_memory_used_bytes");
        assertThat(written).as("series the rules and the dashboard query").containsAll(used);

        String dashboard = Files.readString(DASHBOARD);
        assertThat(families.stream()
                        .filter(f -> f.startsWith("cmg_") && !dashboard.contains(f))
                        .toList())
                .as("cmg_ families written but not on the dashboard")
                .isEmpty();
    }

    @Test
    void theSeriesOfAnExpressionAreFound() {
        assertThat(
                        seriesIn(
                                "histogram_quantile(0.99, sum by (instance, le) (rate(cmg_a_bucket{x=\"y\", i=~\"$i\"}[$__rate_interval])))"
                                        + " > 5 and sum without (le) (rate(cmg_b_count[5m])) / on (instance) group_left up == 0 or cmg_c < 21 * 86400"))
                .containsExactly("cmg_a_bucket", "cmg_b_count", "cmg_c", "up");
    }

    /** Sample names and family names (# TYPE) of a Prometheus text page. */
    static void scan(String text, Set<String> samples, Set<String> families) {
        for (String line : text.lines().toList()) {
            if (line.startsWith("# TYPE ")) {
                families.add(line.split(" ")[2]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                samples.add(line.split("[{ ]", 2)[0]);
            }
        }
    }

    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern LABEL_LISTS =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern NAME = Pattern.compile("(?<![\\w$.])[a-zA-Z_:][\\w:]*+(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of(
            "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right");

    /** The series a PromQL expression selects: its names outside label matchers, ranges, label lists and function calls. */
    static Set<String> seriesIn(String promql) {
        String s = STRINGS.matcher(promql).replaceAll("\"\"");
        s = s.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^\\]]*\\]", " ");
        s = LABEL_LISTS.matcher(s).replaceAll(" ");
        var names = new TreeSet<String>();
        var m = NAME.matcher(s);
        while (m.find()) {
            if (!KEYWORDS.contains(m.group())) {
                names.add(m.group());
            }
        }
        return names;
    }

    static List<JsonNode> rules() throws Exception {
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
        var all = new ArrayList<JsonNode>();
        doc.path("groups").forEach(g -> g.path("rules").forEach(all::add));
        return all;
    }

    static Optional<Path> onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, command))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
