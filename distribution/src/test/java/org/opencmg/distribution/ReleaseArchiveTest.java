package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.KeyMaterial;

/**
 * The release archive as an operator gets it: target/opencmg-VERSION.tar.gz unpacked into an empty
 * folder and run through its own bin/cmg, with nothing but a JDK (its bin on the PATH, no JAVA_HOME,
 * no Maven) and /usr/bin:/bin. The shipped config samples are used as they are, only their ports
 * changed to free ones and the connection ID filled in.
 */
class ReleaseArchiveTest {

    @TempDir
    Path dir;

    Path home;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void unpack() throws Exception {
        Path archive = Path.of(System.getProperty("cmg.archive"));
        assertThat(archive).exists();
        var tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", dir.toString())
                .inheritIO()
                .start();
        assertThat(tar.waitFor()).isZero();
        home = dir.resolve("opencmg-" + version());
        assertThat(home).isDirectory();
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes.reversed()) {
            p.destroy(); // SIGTERM, as systemd stops them
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    static String version() {
        return System.getProperty("cmg.version");
    }

    @Test
    void theArchiveHoldsWhatAnOperatorNeeds() throws Exception {
        for (String f : List.of(
                "bin/cmg",
                "LICENSE",
                "NOTICE",
                "config/gateway.yaml",
                "config/connection-point.yaml",
                "config/logback.xml",
                "systemd/opencmg-gateway.service",
                "systemd/opencmg-connection-point.service",
                "systemd/README.md",
                "plugins/auth-pki.jar",
                "plugins/auth-token.jar",
                "plugins/role-content/plugin.properties")) {
            assertThat(home.resolve(f)).as(f).isRegularFile();
        }
        assertThat(Files.getPosixFilePermissions(home.resolve("bin/cmg")))
                .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
        try (var jars = Files.list(home.resolve("lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("server-"))
                    .anyMatch(n -> n.startsWith("jetty-server-"))
                    .noneMatch(n -> n.startsWith("junit"));
        }
        Path root = Path.of("..").toAbsolutePath().normalize();
        assertThat(home.resolve("LICENSE")).hasSameTextualContentAs(root.resolve("LICENSE"));
        assertThat(home.resolve("NOTICE")).hasSameTextualContentAs(root.resolve("NOTICE"));

        String gateway = Files.readString(home.resolve("systemd/opencmg-gateway.service"));
        assertThat(gateway)
                .contains(
                        "User=opencmg",
                        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                        "LimitNOFILE=",
                        "LoadCredential=master.key:",
                        "SuccessExitStatus=143",
                        "NoNewPrivileges=yes",
                        "ProtectSystem=strict",
                        "ExecReload=/bin/kill -HUP $MAINPID",
                        "ExecStart=/opt/opencmg/bin/cmg gateway --config /etc/opencmg/gateway.yaml");
        String point = Files.readString(home.resolve("systemd/opencmg-connection-point.service"));
        assertThat(point)
                .contains(
                        "User=opencmg",
                        "LimitNOFILE=",
                        "SuccessExitStatus=143",
                        "NoNewPrivileges=yes",
                        "ExecReload=/bin/kill -HUP $MAINPID",
                        "ExecStart=/opt/opencmg/bin/cmg connection-point --config /etc/opencmg/connection-point.yaml");
        if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
            // systemd's own check of both units, ExecStart pointed at the unpacked launcher.
            Path units = Files.createDirectories(dir.resolve("units"));
            for (String unit : List.of("opencmg-gateway.service", "opencmg-connection-point.service")) {
                Files.writeString(
                        units.resolve(unit),
                        Files.readString(home.resolve("systemd/" + unit))
                                .replace(
                                        "/opt/opencmg/bin/cmg",
                                        home.resolve("bin/cmg").toString()));
            }
            var run = run(
                    units,
                    List.of(
                            "/usr/bin/systemd-analyze",
                            "verify",
                            "--man=no",
                            "./opencmg-gateway.service",
                            "./opencmg-connection-point.service"),
                    Map.of());
            assertThat(run.output()).as("systemd-analyze verify").isBlank();
            assertThat(run.exit()).isZero();
        }
    }

    @Test
    void bin_cmgStopsWithAClearMessageWhenNoJava21IsFound() throws Exception {
        // /usr/bin/java, if any, is older here (17); an empty folder stands for /usr/lib/jvm.
        Path noJvms = Files.createDirectories(dir.resolve("no-jvms"));
        var run = run(
                home,
                List.of("bin/cmg", "--version"),
                Map.of(
                        "PATH",
                        "/usr/bin:/bin",
                        "JAVA_HOME",
                        dir.resolve("nowhere").toString(),
                        "CMG_JVM_DIR",
                        noJvms.toString()));
        if (Files.exists(Path.of("/usr/bin/java")) && javaMajor("/usr/bin/java") >= 21) {
            return; // this machine's PATH java would do: nothing to refuse
        }
        assertThat(run.exit()).isEqualTo(127);
        assertThat(run.output())
                .contains("cmg: OpenCMG needs a Java 21 or newer runtime, and none was found")
                .contains("set JAVA_HOME");
    }

    @Test
    void aGatewayAndAConnectionPointRunFromTheUnpackedArchiveWithOnlyAJdk() throws Exception {
        var version = run(home, List.of("bin/cmg", "--version"), Map.of());
        assertThat(version.exit()).as(version.output()).isZero();
        assertThat(version.output()).startsWith("OpenCMG " + version() + "\n");

        var pki = run(home, List.of("bin/cmg", "pki", "init", "--dir", "pki"), Map.of());
        assertThat(pki.exit()).as(pki.output()).isZero();

        int client = GatewayProcessTest.freePort();
        int channel = GatewayProcessTest.freePort();
        int admin = GatewayProcessTest.freePort();
        // The shipped sample, as an operator edits it: ports above 1023 and loopback.
        String gatewayYaml = Files.readString(home.resolve("config/gateway.yaml"))
                .replace("host: 0.0.0.0", "host: 127.0.0.1")
                .replace("port: 443", "port: " + client)
                .replace("port: 10124", "port: " + channel)
                .replace("port: 9443", "port: " + admin);
        assertThat(gatewayYaml).doesNotContain("plugins-dir: ../", "target/");
        Files.writeString(home.resolve("config/gateway.yaml"), gatewayYaml);
        start("gateway", List.of("bin/cmg", "gateway", "--config", "config/gateway.yaml"));

        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyMaterial.trustStore(home.resolve("pki/ca.pem")));
        var tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        try (var http = HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5))
                .build()) {
            var health = HttpRequest.newBuilder(URI.create("https://localhost:" + client + "/health"))
                    .build();
            Awaitility.await("gateway /health")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .failFast(() -> exited("gateway"))
                    .until(() -> http.send(health, HttpResponse.BodyHandlers.ofString())
                                    .statusCode()
                            == 200);
        }
        // The sample's data-dir (../data) is the archive's folder data/.
        String password =
                Files.readString(home.resolve("data/initial-admin-password")).strip();
        var adminEnv = Map.of(
                "CMG_ADMIN_URL",
                "https://localhost:" + admin,
                "CMG_ADMIN_CREDENTIALS",
                "admin:" + password,
                "CMG_ADMIN_CA",
                home.resolve("pki/ca.pem").toString());
        var register = run(
                home,
                List.of(
                        "bin/cmg",
                        "connection-point",
                        "register",
                        "--name",
                        "cp1",
                        "--site",
                        "PS1",
                        "--cert",
                        "pki/connection-point.pem"),
                adminEnv);
        assertThat(register.exit()).as(register.output()).isZero();
        var id = Pattern.compile("connection-id: ([0-9a-fA-F-]{36})").matcher(register.output());
        assertThat(id.find()).as(register.output()).isTrue();

        String pointYaml = Files.readString(home.resolve("config/connection-point.yaml"))
                .replace("connection-id: 00000000-0000-0000-0000-000000000000", "connection-id: " + id.group(1))
                .replace("https://gateway.example.com:10124", "https://localhost:" + channel);
        assertThat(pointYaml).contains(id.group(1), "https://localhost:" + channel);
        Files.writeString(home.resolve("config/connection-point.yaml"), pointYaml);
        start("connection-point", List.of("bin/cmg", "connection-point", "--config", "config/connection-point.yaml"));

        Awaitility.await("connection point cp1's channel up")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .failFast(() -> exited("gateway") || exited("connection-point"))
                .until(() -> {
                    var status = run(home, List.of("bin/cmg", "status"), adminEnv);
                    return status.exit() == 0
                            && status.output().lines().anyMatch(l -> l.matches("\\s*cp1\\s.*\\bup\\b.*"));
                });
        assertThat(Files.readString(home.resolve("connection-point.log"))).doesNotContain("Exception");
    }

    record Run(int exit, String output) {}

    /** Only the JDK: its bin and /usr/bin:/bin on the PATH, no JAVA_HOME, no Maven, nothing else inherited. */
    private ProcessBuilder onlyTheJdk(Path cwd, List<String> command, Map<String, String> env) {
        var pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin");
        pb.environment().put("HOME", dir.toString());
        pb.environment().put("CMG_JAVA_OPTS", "-Xmx256m");
        pb.environment().putAll(env);
        return pb;
    }

    private Run run(Path cwd, List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        Process p = onlyTheJdk(cwd, command, env).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new Run(p.exitValue(), out);
    }

    private void start(String name, List<String> command) throws IOException {
        processes.add(onlyTheJdk(home, command, Map.of())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        home.resolve(name + ".log").toFile()))
                .start());
    }

    private boolean exited(String name) {
        int i = name.equals("gateway") ? 0 : 1;
        return processes.size() > i && !processes.get(i).isAlive();
    }

    private static int javaMajor(String java) throws Exception {
        var p = new ProcessBuilder(java, "-XshowSettings:properties", "-version")
                .redirectErrorStream(true)
                .start();
        var m = Pattern.compile("java\\.specification\\.version = (\\d+)")
                .matcher(new String(p.getInputStream().readAllBytes()));
        p.waitFor();
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
