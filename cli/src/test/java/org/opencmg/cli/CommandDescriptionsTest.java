package org.opencmg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every command of the CLI has a description of its own (with scope INHERIT, a command without one
 * showed the root's "OpenCMG: a self-hostable ..." in the help), and every option and positional
 * parameter has one too.
 */
class CommandDescriptionsTest {

    @Test
    void everyCommandOptionAndParameterIsDescribed() {
        CommandSpec root = CmgCommand.commandLine().getCommandSpec();
        String rootDescription = String.join(" ", root.usageMessage().description());
        var missing = new ArrayList<String>();
        walk(root, rootDescription, missing);
        assertThat(missing)
                .as("commands, options and parameters without a description")
                .isEmpty();
    }

    private static void walk(CommandSpec spec, String rootDescription, List<String> missing) {
        String name = spec.qualifiedName(" ");
        String description = String.join(" ", spec.usageMessage().description()).strip();
        if (description.isEmpty() || (spec.parent() != null && description.equals(rootDescription))) {
            missing.add("command `" + name + "`");
        }
        for (ArgSpec arg : spec.args()) {
            if (arg.hidden() || String.join(" ", arg.description()).isBlank()) {
                if (!arg.hidden()) {
                    missing.add("`" + name + "` " + label(arg));
                }
            }
        }
        for (CommandLine sub : spec.subcommands().values()) {
            if (sub.getCommandSpec().parent() == spec) { // aliases list a command twice
                walk(sub.getCommandSpec(), rootDescription, missing);
            }
        }
    }

    private static String label(ArgSpec arg) {
        return arg instanceof CommandLine.Model.OptionSpec o ? o.longestName() : "parameter " + arg.paramLabel();
    }
}
