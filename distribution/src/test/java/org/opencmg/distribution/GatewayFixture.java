package org.opencmg.distribution;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.opencmg.cli.CmgCommand;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.server.boot.Gateway;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.pipeline.Forwarder;
import org.opencmg.testkit.Postgres;
import org.opencmg.webapp.WebConsole;

/**
 * A real gateway instance: real TLS connectors on loopback ports, a real H2 file, and the real
 * plugin JARs of the distribution layout loaded by PF4J. Admin commands go through the real CLI
 * and admin API. Three ways to run it:
 * <ul>
 *   <li>{@code new GatewayFixture(dir, pki, forwarder)}: in this JVM, a test forwarder in place of
 *       the channels (steps 5-8);</li>
 *   <li>{@link #withChannels}: in this JVM, the real channel forwarder, so connection points serve;</li>
 *   <li>{@link #process}: {@code cmg gateway --config FILE} from the distribution layout, as its
 *       own JVM (log in {@code DIR/gateway.log}).</li>
 * </ul>
 * The first start binds free ports; {@link #restart} binds the same ports again, on the same data.
 */
final class GatewayFixture implements AutoCloseable {

    static final String ADMIN_PASSWORD = "test-admin-password-7f3a";

    /** The product layout the build assembled (lib/, plugins/). */
    static Path home() {
        return Path.of(System.getProperty("cmg.home", "target/cmg")).toAbsolutePath();
    }

    /** The java launcher the build runs with (processes of the product are started with it). */
    static String java() {
        return System.getProperty(
                "cmg.java",
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    final Path dir;
    final TestPki pki;
    private final Forwarder forwarder;
    private final List<String> processJvmOptions;
    /** The timeouts line of gateway.yaml. */
    private final String timeouts;
    /** Extra lines of gateway.yaml (a database, a shared master key); empty for the defaults. */
    private final String extraConfig;

    private Gateway gateway;
    private Process process;
    private int clientPort;
    private int channelPort;
    private int adminPort;

    /** More keys of the client connector's YAML flow map (", proxy-protocol: true"), taken at the next (re)start. */
    String clientOptions = "";

    /** What the last {@link #cli} call printed (stdout and stderr). */
    String out = "";

    /** In this JVM; {@code forwarder} stands in for the channels (null: the real channels). */
    GatewayFixture(Path dir, TestPki pki, Forwarder forwarder) throws Exception {
        this(dir, pki, forwarder, null, "{idle: 10s}", "");
    }

    private GatewayFixture(
            Path dir,
            TestPki pki,
            Forwarder forwarder,
            List<String> processJvmOptions,
            String timeouts,
            String extraConfig)
            throws Exception {
        this.dir = dir;
        this.pki = pki;
        this.forwarder = forwarder;
        this.processJvmOptions = processJvmOptions;
        this.timeouts = timeouts;
        this.extraConfig = extraConfig;
        Files.writeString(dir.resolve("admin-password"), ADMIN_PASSWORD);
        if (processJvmOptions != null) { // another process binds them: pick them now
            clientPort = freePort();
            channelPort = freePort();
            adminPort = freePort();
        }
        start();
    }

    /** In this JVM, forwarding through the channels of connection points (Gateway.start(config, WebConsole::new)). */
    static GatewayFixture withChannels(Path dir, TestPki pki) throws Exception {
        return new GatewayFixture(dir, pki, null, null, "{idle: 10s}", "");
    }

    /** As {@link #withChannels(Path, TestPki)}, with more lines of gateway.yaml (YAML, e.g. a database block). */
    static GatewayFixture withChannelsAndConfig(Path dir, TestPki pki, String extraConfig) throws Exception {
        return new GatewayFixture(dir, pki, null, null, "{idle: 10s}", extraConfig);
    }

    /**
     * The gateway.yaml lines that make instances share one store: the PostgreSQL database {@code pg}
     * (its password written to DIR/db-password) and one master key (DIR/master.key, made by the first
     * instance, 0600), so secrets are shared too.
     */
    static String sharedStore(Path dir, Postgres pg) throws IOException {
        Files.writeString(dir.resolve("db-password"), Postgres.PASSWORD);
        return """
                database: {url: "%s", user: %s, password-file: %s, pool-size: 4}
                secrets: {master-key-file: %s}
                """.formatted(pg.url(), Postgres.USER, dir.resolve("db-password"), dir.resolve("master.key"));
    }

    /** As {@link #withChannels(Path, TestPki)}, with the given timeouts (YAML flow map, e.g. "{idle: 60s}"). */
    static GatewayFixture withChannels(Path dir, TestPki pki, String timeouts) throws Exception {
        return new GatewayFixture(dir, pki, null, null, timeouts, "");
    }

    /** In this JVM with a test forwarder (as the three-argument constructor) on the given TLS provider. */
    static GatewayFixture onTlsProvider(Path dir, TestPki pki, Forwarder forwarder, String provider) throws Exception {
        return new GatewayFixture(dir, pki, forwarder, null, "{idle: 10s}", tlsProvider(provider));
    }

    /** {@code java OPTIONS -cp $cmg.home/lib/* ...CmgCommand gateway --config DIR/gateway.yaml} as its own process. */
    static GatewayFixture process(Path dir, TestPki pki, String timeouts, String... jvmOptions) throws Exception {
        return new GatewayFixture(dir, pki, null, List.of(jvmOptions), timeouts, "");
    }

    /** As {@link #process}, with more lines of gateway.yaml (e.g. {@link #tlsProvider}). */
    static GatewayFixture processWithConfig(
            Path dir, TestPki pki, String timeouts, String extraConfig, String... jvmOptions) throws Exception {
        return new GatewayFixture(dir, pki, null, List.of(jvmOptions), timeouts, extraConfig);
    }

    /** The gateway.yaml (and connection-point.yaml) line that chooses the TLS provider: jdk or conscrypt. */
    static String tlsProvider(String provider) {
        return "tls: {provider: " + provider + "}\n";
    }

    /** The TLS provider the running gateway reports in {@code cmg status} (the one it really runs on). */
    String runningTlsProvider() {
        check(cli("status"));
        var m = java.util.regex.Pattern.compile("TLS provider (\\w+)").matcher(out);
        if (!m.find()) {
            throw new AssertionError("cmg status names no TLS provider:\n" + out);
        }
        return m.group(1);
    }

    private void writeConfig() throws IOException {
        Files.writeString(
                dir.resolve("gateway.yaml"),
                """
                instance: test-%s
                data-dir: data
                client: {host: 127.0.0.1, port: %d, certificate: %s, key: %s%s}
                channel: {host: 127.0.0.1, port: %d}
                admin: {host: 127.0.0.1, port: %d}
                plugins-dir: %s
                admin-account: {user: admin, initial-password-file: admin-password}
                timeouts: %s
                """.formatted(
                                        dir.getFileName(),
                                        clientPort,
                                        pki.file("server.pem"),
                                        pki.file("server-key.pem"),
                                        clientOptions,
                                        channelPort,
                                        adminPort,
                                        home().resolve("plugins"),
                                        timeouts)
                        + extraConfig);
    }

    void start() throws Exception {
        writeConfig();
        if (processJvmOptions == null) {
            gateway = Gateway.start(GatewayConfig.load(dir.resolve("gateway.yaml")), forwarder, WebConsole::new);
            clientPort = gateway.clientPort();
            channelPort = gateway.channelPort();
            adminPort = gateway.adminPort();
            writeConfig(); // a restart binds these same ports
        } else {
            startProcess();
        }
        Files.writeString(dir.resolve("demo.json"), """
                {"admin_url": "https://localhost:%d", "admin_user": "admin", "admin_password": "%s", "ca_cert": "%s"}
                """.formatted(adminPort, ADMIN_PASSWORD, pki.file("root.pem")));
    }

    private void startProcess() throws Exception {
        var command = new ArrayList<String>();
        command.add(java());
        command.addAll(processJvmOptions);
        command.addAll(List.of(
                "-cp",
                home().resolve("lib") + "/*",
                "org.opencmg.cli.CmgCommand",
                "gateway",
                "--config",
                dir.resolve("gateway.yaml").toString()));
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start();
        var http = HttpClient.newBuilder()
                .sslContext(pki.clientContext(null))
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        var probe = HttpRequest.newBuilder(URI.create("https://localhost:" + clientPort + "/health"))
                .timeout(Duration.ofSeconds(2))
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError(
                        "the gateway process exited (" + process.exitValue() + "):\n" + ProcessLogs.tail(log(), 40));
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "the gateway process was not healthy within 60 s:\n" + ProcessLogs.tail(log(), 40));
            }
            Thread.sleep(200);
        }
    }

    /** The gateway's process (process mode): whether it crashed, and that it is still the same one. */
    ProcessHandle processHandle() {
        return process.toHandle();
    }

    /** The process's output (process mode). */
    Path log() {
        return dir.resolve("gateway.log");
    }

    /** Stops cleanly: close() in this JVM, SIGTERM to a process. */
    void stop() throws InterruptedException {
        if (gateway != null) {
            gateway.close();
            gateway = null;
        }
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the gateway process did not stop within 30 s of SIGTERM");
            }
            process = null;
        }
    }

    /** Stops cleanly and starts again on the same data directory and the same ports. */
    void restart() throws Exception {
        stop();
        start();
    }

    /** The in-JVM instance (not in process mode). */
    Gateway gateway() {
        return gateway;
    }

    int clientPort() {
        return clientPort;
    }

    int channelPort() {
        return channelPort;
    }

    /** Where connection points dial this instance. */
    URI channelUrl() {
        return URI.create("https://localhost:" + channelPort);
    }

    /** A URL of the client connector, as devices use it. */
    URI clientUrl(String pathAndQuery) {
        return URI.create("https://localhost:" + clientPort + pathAndQuery);
    }

    /** One series of the instance's /metrics (admin's HTTP Basic), named with its labels as printed, or NaN when absent. */
    double metric(String name) throws Exception {
        return metrics()
                .lines()
                .filter(l -> l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst()
                .orElse(Double.NaN);
    }

    /** The instance's whole /metrics (Prometheus text), scraped as the administrator (HTTP Basic). */
    String metrics() throws Exception {
        try (var http = java.net.http.HttpClient.newBuilder()
                .sslContext(pki.clientContext(null))
                .build()) {
            String basic = "Basic "
                    + java.util.Base64.getEncoder()
                            .encodeToString(
                                    ("admin:" + ADMIN_PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return http.send(
                            java.net.http.HttpRequest.newBuilder(adminUrl("/metrics"))
                                    .header("Authorization", basic)
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
        }
    }

    /** A URL of the admin connector (the console and the admin API). */
    URI adminUrl(String pathAndQuery) {
        return URI.create("https://localhost:" + adminPort + pathAndQuery);
    }

    /** The console's sign-in form as a browser sends it, with the token of its login cookie. */
    HttpResponse<String> consoleSignIn(HttpClient http, String user, String password) throws Exception {
        var page = http.send(HttpRequest.newBuilder(adminUrl("/login")).build(), HttpResponse.BodyHandlers.ofString());
        String cookie = page.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("__Host-cmg-login="))
                .findFirst()
                .orElseThrow()
                .split(";")[0];
        String token = cookie.substring(cookie.indexOf('=') + 1);
        String form = "login_token=" + token + "&user="
                + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8) + "&password="
                + java.net.URLEncoder.encode(password, java.nio.charset.StandardCharsets.UTF_8);
        return http.send(
                HttpRequest.newBuilder(adminUrl("/login"))
                        .header("Cookie", cookie)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The admin REST API, logged in as the administrator. */
    AdminClient api() throws Exception {
        return AdminClient.from(dir);
    }

    /** Runs {@code cmg ARGS... --demo DIR} in-process; returns the exit code, output in {@link #out}. */
    int cli(String... args) {
        var sw = new StringWriter();
        var pw = new PrintWriter(sw, true);
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (isAdminCommand(all)) {
            all.add("--demo");
            all.add(dir.toString());
        }
        int code = CmgCommand.commandLine().setOut(pw).setErr(pw).execute(all.toArray(String[]::new));
        out = sw.toString();
        return code;
    }

    private static boolean isAdminCommand(List<String> args) {
        if (args.isEmpty()) {
            return false;
        }
        if (args.getFirst().equals("connection-point")) { // its subcommands administer; the bare command runs a point
            return args.size() > 1 && List.of("register", "list", "unregister").contains(args.get(1));
        }
        return List.of(
                        "endpoint",
                        "roots",
                        "ctl",
                        "crl",
                        "settings",
                        "status",
                        "explain",
                        "token",
                        "content",
                        "admin-cert",
                        "config")
                .contains(args.getFirst());
    }

    /** Uploads the test root and intermediate, so that test devices authenticate. */
    void trust() throws IOException {
        check(cli("roots", "add", pki.file("root.pem").toString()));
        check(cli("roots", "add", pki.file("intermediate.pem").toString()));
    }

    /** Trusts the test devices; the test PKI publishes no CRL, so revocation is not verified. */
    void trustTestDevices() throws IOException {
        trust();
        check(cli("settings", "set", "verify-revocation", "off"));
    }

    /** Uploads the test root and intermediate, and publishes one management point endpoint. */
    void trustAndPublish() throws IOException {
        trust();
        check(cli(
                "endpoint",
                "publish",
                "--external",
                "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System",
                "--internal",
                "https://mp.corp.example/CCM_System",
                "--site",
                "ABC",
                "--max-request-bytes",
                "1024"));
    }

    /** {@code cmg endpoint publish --external E --internal I --site S [OPTIONS...]}. */
    void publish(String external, String internal, String site, String... options) {
        var args = new ArrayList<>(
                List.of("endpoint", "publish", "--external", external, "--internal", internal, "--site", site));
        args.addAll(Arrays.asList(options));
        check(cli(args.toArray(String[]::new)));
    }

    void check(int exitCode) {
        if (exitCode != 0) {
            throw new AssertionError("cli exit " + exitCode + ": " + out);
        }
    }

    static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Names of the connection points with an open channel to this gateway (its status). */
    @SuppressWarnings("unchecked")
    List<String> openChannels() {
        var channels = (List<java.util.Map<String, Object>>) gateway.status().get("channels");
        return channels.stream().map(c -> (String) c.get("connection_point")).toList();
    }

    /** The state the channel_status table holds for a connection point, through /api/channels. */
    String channelState(String point) throws Exception {
        for (var c : api().get("channels")) {
            if (point.equals(c.path("connection_point").asText())) {
                return c.path("state").asText();
            }
        }
        return "(absent)";
    }
}
