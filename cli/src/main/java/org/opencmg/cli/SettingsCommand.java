package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.opencmg.cli.client.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "settings",
        description = "Gateway settings (enforce-tls12, verify-revocation, ...).",
        subcommands = {SettingsCommand.Get.class, SettingsCommand.Set.class})
final class SettingsCommand {

    @Command(name = "get", description = "One setting, or all of them.")
    static final class Get extends AdminCall {
        @Parameters(paramLabel = "NAME", arity = "0..1", description = "The setting's name (default: all settings).")
        String name;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            if (name == null) {
                Table.print(out, api.get("settings"), "name", "value", "is_default", "description");
            } else {
                out.println(api.get("settings/" + AdminClient.encode(name))
                        .path("value")
                        .asText());
            }
        }
    }

    @Command(name = "set", description = "Change a setting; it takes effect on every instance without a restart.")
    static final class Set extends AdminCall {
        @Parameters(index = "0", paramLabel = "NAME", description = "The setting's name (see settings get).")
        String name;

        @Parameters(
                index = "1",
                paramLabel = "VALUE",
                description = "Its new value (true/false, a number or text, as the setting takes).")
        String value;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var v = api.putSetting(name, value);
            out.println(name + " = " + v.path("value").asText());
        }
    }
}
