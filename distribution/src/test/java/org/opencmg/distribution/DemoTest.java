package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `cmg demo` as a user runs it: one process, a whole topology, demo.json with the documented keys,
 * and the curl commands it prints work exactly as printed. A second run reuses the folder.
 */
class DemoTest {

    @TempDir
    Path dir;

    @Test
    void theDemoComesUpAndTheCommandsItPrintsWorkAsPrinted() throws Exception {
        Path demoDir = dir.resolve("demo");
        for (int run = 1; run <= 2; run++) {
            Path out = dir.resolve("demo-" + run + ".out");
            Process demo = startDemo(demoDir, out);
            try {
                Awaitility.await()
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> !demo.isAlive() || Files.readString(out).contains("Administer it:"));
                assertThat(demo.isAlive()).as(Files.readString(out)).isTrue();

                var json =
                        new ObjectMapper().readTree(demoDir.resolve("demo.json").toFile());
                for (String key : List.of(
                        "client_url",
                        "channel_url",
                        "admin_url",
                        "ca_cert",
                        "client_cert",
                        "client_key",
                        "mp_role_id",
                        "sup_role_id",
                        "admin_user",
                        "admin_password",
                        "pids")) {
                    assertThat(json.has(key)).as(key).isTrue();
                }
                assertThat(demoDir.resolve(json.path("ca_cert").asText())).exists();
                assertThat(json.path("pids").get(0).asLong()).isEqualTo(demo.pid());

                // The certificate device's commands; the token and Entra ID flows have their own tests.
                List<String> commands = printedCommands(Files.readString(out), "curl ").stream()
                        .filter(c -> c.contains("--cert "))
                        .toList();
                assertThat(commands).hasSize(4);
                assertThat(run(commands.get(0))).contains("<MPList>").contains("mp1.corp.example");
                assertThat(run(commands.get(1)))
                        .contains("<Reply site=\"PS1\"")
                        .contains("device=\"pki:")
                        .contains("bytes=\"5\"");
                // The device's notification channel: the sample site's next notification (every 10 s) answers it.
                assertThat(run(commands.get(2)))
                        .startsWith("demo notification ")
                        .contains("evaluate machine policy");
                assertThat(run(commands.get(3))).contains("GetConfigResponse");
                // The site's own push, as printed: one channel, one report.
                String push =
                        printedCommands(Files.readString(out), "curl -s -d").getFirst();
                assertThat(run(push)).contains("\"channels\":1").contains("\"reports\":1");

                var explain = new GatewayFixtureCli(demoDir)
                        .run(
                                "explain",
                                "/CCM_Proxy_MutualAuth/"
                                        + json.path("mp_role_id").asText() + "/SMS_MP/.sms_aut?MPLIST",
                                "--cert",
                                demoDir.resolve(json.path("client_cert").asText())
                                        .toString());
                assertThat(explain)
                        .startsWith("served")
                        .contains("connection point: demo-cp")
                        .contains("/SMS_MP/.sms_aut?MPLIST");
                // The content download, as printed (the ./cmg launcher is this JVM's CLI).
                String download = printedCommands(Files.readString(out), "./cmg device download")
                        .getFirst();
                var downloaded = new GatewayFixtureCli(null)
                        .run(download.substring("./cmg ".length()).split("\\s+"));
                assertThat(downloaded)
                        .contains("/content/DEMO0001/1/setup.bin?se=")
                        .contains("setup.bin: 6291456 bytes, sha256 ")
                        .contains("readme.txt: ")
                        .contains("done: 2 files");
                var status = new GatewayFixtureCli(demoDir).run("status");
                assertThat(status).contains("demo-cp").contains(" up ").contains("auth-pki");
            } finally {
                demo.destroy();
                assertThat(demo.waitFor(30, TimeUnit.SECONDS))
                        .as("demo stops on SIGTERM")
                        .isTrue();
            }
        }
        assertThat(Files.readString(dir.resolve("demo-2.out"))).doesNotContain("created development CA");
    }

    private Process startDemo(Path demoDir, Path out) throws Exception {
        String java = System.getProperty(
                "cmg.java",
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ProcessBuilder(
                        java,
                        "-Xmx256m",
                        "-Dcmg.home=" + GatewayFixture.home(),
                        "-cp",
                        GatewayFixture.home().resolve("lib") + "/*",
                        "org.opencmg.cli.CmgCommand",
                        "demo",
                        "--dir",
                        demoDir.toString(),
                        "--client-port",
                        "0",
                        "--channel-port",
                        "0",
                        "--admin-port",
                        "0")
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
    }

    /** The printed commands starting with {@code prefix}, continuation lines joined, as a user would paste them. */
    static List<String> printedCommands(String printout, String prefix) {
        var commands = new ArrayList<String>();
        String[] lines = printout.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].strip().startsWith(prefix)) {
                var cmd = new StringBuilder(lines[i].strip());
                while (cmd.toString().endsWith("\\") && i + 1 < lines.length) {
                    cmd.setLength(cmd.length() - 1);
                    cmd.append(' ').append(lines[++i].strip());
                }
                commands.add(cmd.toString());
            }
        }
        return commands;
    }

    static String run(String shellCommand) throws Exception {
        var p = new ProcessBuilder("bash", "-c", shellCommand + " --silent --show-error --fail")
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(shellCommand + "\n" + output).isZero();
        return output;
    }

    /** The admin CLI in this JVM, pointed at a demo folder (null: the command names its own). */
    record GatewayFixtureCli(Path demoDir) {
        String run(String... args) {
            var sw = new java.io.StringWriter();
            var pw = new java.io.PrintWriter(sw, true);
            var all = new ArrayList<>(List.of(args));
            if (demoDir != null) {
                all.add("--demo");
                all.add(demoDir.toString());
            }
            int code = org.opencmg.cli.CmgCommand.commandLine()
                    .setOut(pw)
                    .setErr(pw)
                    .execute(all.toArray(String[]::new));
            assertThat(code).as(sw.toString()).isZero();
            return sw.toString();
        }
    }
}
