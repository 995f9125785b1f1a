package org.opencmg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A mistake in gateway.yaml or connection-point.yaml is told in one line: the file, the line, the
 * YAML key and the form expected there; never a Java class, exception or package name.
 */
class ConfigErrorMessageTest {

    @TempDir
    Path dir;

    private static final String GATEWAY = "client: {host: 127.0.0.1, port: 0, certificate: c.pem, key: k.pem}\n";
    private static final String POINT = """
            name: cp1
            connection-id: abc
            certificate: c.pem
            key: k.pem
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            misspelt key        | gateway          | timeouts:\\n  idel: 30s\\n           | gateway.yaml line 3: unknown key timeouts.idel (known there: header, heartbeat, idle, request)
            misspelt top key    | gateway          | plugin-dir: x\\n                     | gateway.yaml line 2: unknown key plugin-dir (known there:
            text for a number   | gateway          | admin: {port: https}\\n              | gateway.yaml line 2: admin.port must be a whole number, not "https"
            list for a value    | gateway          | data-dir: [a, b]\\n                  | gateway.yaml line 2: data-dir must be a single value (text)
            value for a mapping | gateway          | timeouts: 30s\\n                     | gateway.yaml line 2: timeouts must be a mapping (indented "key: value" lines, or {key: value})
            bad duration        | gateway          | timeouts: {idle: 30sec}\\n           | gateway.yaml: bad duration: 30sec (use 30s, 5m, 1h)
            list for a mapping  | gateway          | admin: [1, 2]\\n                     | gateway.yaml line 2: admin must be a mapping
            broken YAML         | gateway          | instance: "gw1\\n                     | gateway.yaml line 2: not valid YAML: while scanning a quoted scalar
            value for a list    | connection-point | gateways: https://gw:10124\\n        | connection-point.yaml line 5: gateways must be a list ([a, b], or one "- item" line each)
            missing key         | connection-point | pulls: 3\\n                          | connection-point.yaml: name, connection-id, certificate, key and gateways are required
            misspelt point key  | connection-point | gateways: [https://gw]\\nheartbeat: 3s\\n | connection-point.yaml line 6: unknown key heartbeat (known there:
            """)
    void aConfigMistakeIsOneLineNamingTheFileTheKeyAndTheExpectedForm(
            String mistake, String command, String yaml, String expected) throws Exception {
        Path file = dir.resolve(command + ".yaml");
        Files.writeString(file, (command.equals("gateway") ? GATEWAY : POINT) + yaml.replace("\\n", "\n"));
        String err = run(command, "--config", file.toString());
        assertThat(err).as(mistake).startsWith("error: " + file.getParent() + "/" + expected);
        assertThat(err.strip()).as(mistake).doesNotContain("\n", "Exception", "org.", "java.", "class ", "jackson");
    }

    @ParameterizedTest
    @CsvSource({"gateway", "connection-point"})
    void aMissingConfigFileIsSaidAsSuch(String command) {
        Path file = dir.resolve("nowhere.yaml");
        assertThat(run(command, "--config", file.toString()).strip()).isEqualTo("error: " + file + ": no such file");
    }

    private static String run(String... args) {
        var err = new StringWriter();
        var cli = CmgCommand.commandLine();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute(args)).isEqualTo(1);
        return err.toString();
    }
}
