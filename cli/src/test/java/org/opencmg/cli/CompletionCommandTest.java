package org.opencmg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cmg completion} prints a bash completion script that a real bash loads and that completes
 * commands, subcommands and options of the current command tree.
 */
class CompletionCommandTest {

    @TempDir
    Path dir;

    private String script() {
        var text = new StringWriter();
        var cli = CmgCommand.commandLine();
        cli.setOut(new PrintWriter(text));
        assertThat(cli.execute("completion")).isZero();
        return text.toString();
    }

    /** What bash offers after {@code words} (the last one is being typed). */
    private List<String> complete(Path script, String... words) throws Exception {
        String line = String.join(" ", words);
        var bash = """
                source '%s'
                COMP_WORDS=(%s)
                COMP_CWORD=%d
                COMP_LINE='%s'
                COMP_POINT=%d
                _complete_cmg
                printf '%%s\\n' "${COMPREPLY[@]}"
                """.formatted(script, line, words.length - 1, line, line.length());
        // stderr: compopt says it is "not currently executing completion function" outside readline.
        var p = new ProcessBuilder("bash", "-c", bash)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void theScriptIsPrintedAndRegistersItselfForCmg() {
        String script = script();
        assertThat(script).startsWith("#!/usr/bin/env bash").contains("complete -F _complete_cmg -o default cmg");
    }

    @Test
    void bashCompletesCommandsSubcommandsAndOptions() throws Exception {
        Path script = Files.writeString(dir.resolve("cmg.bash"), script());

        assertThat(complete(script, "cmg", "ga")).containsExactly("gateway");
        assertThat(complete(script, "cmg", "co")).contains("completion", "connection-point", "content");
        assertThat(complete(script, "cmg", "endpoint", "pu")).containsExactly("publish");
        assertThat(complete(script, "cmg", "gateway", "--ch")).containsExactly("--check");
    }
}
