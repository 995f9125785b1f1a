package org.opencmg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * docs/cli.md is the usage help of every command, as picocli prints it from the command tree. It
 * fails when they differ; regenerate the file with
 * {@code mvn -B -pl cli verify -Dtest=CliReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -Dcmg.regenerate-docs=true}.
 */
class CliReferenceTest {

    static final Path DOC = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/cli.md");
    static final String REGENERATE = "mvn -B -pl cli verify -Dtest=CliReferenceTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dcmg.regenerate-docs=true";

    @Test
    void cliMdIsWhatThePicocliCommandTreePrints() throws Exception {
        String expected = reference();
        if (Boolean.getBoolean("cmg.regenerate-docs")) {
            Files.writeString(DOC, expected, StandardCharsets.UTF_8);
        }
        String actual = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "";
        assertThat(actual)
                .as("docs/cli.md is out of date; regenerate it: " + REGENERATE)
                .isEqualTo(expected);
    }

    static String reference() {
        var root = CmgCommand.commandLine();
        var b = new StringBuilder("""
                # Command-line reference

                Every `cmg` command with its options, as `cmg COMMAND --help` prints them. Generated from
                the command tree by `CliReferenceTest` (cli module), which fails when this file and the
                commands differ; regenerate it with

                    %s

                Admin commands reach the admin API with `--demo DIR`, or `CMG_ADMIN_URL`,
                `CMG_ADMIN_CREDENTIALS` (`user:password`) and `CMG_ADMIN_CA`; exit codes are 0 done, 1
                refused (the reason is printed), 2 usage error, unreachable API or unreadable input.
                Shell completion: `source <(cmg completion)`.

                """.formatted(REGENERATE));
        walk(root, b);
        return b.toString();
    }

    private static void walk(CommandLine command, StringBuilder b) {
        CommandSpec spec = command.getCommandSpec();
        command.setUsageHelpWidth(100);
        b.append("## ")
                .append(spec.qualifiedName(" "))
                .append("\n\n```text\n")
                .append(command.getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing())
                .append("\n```\n\n");
        for (CommandLine sub : command.getSubcommands().values()) {
            if (sub.getCommandSpec().parent() == spec
                    && sub.getCommandSpec()
                            .name()
                            .equals(command.getSubcommands().entrySet().stream()
                                    .filter(e -> e.getValue() == sub)
                                    .findFirst()
                                    .orElseThrow()
                                    .getKey())) {
                walk(sub, b);
            }
        }
    }
}
