package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.opencmg.cli.client.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "config",
        description = {
            "Configuration as code: what administrators set on the gateway, never a secret, as one "
                    + "commented YAML document to keep in git, and such a document applied back.",
            "  config export -o gateway-config.yaml",
            "  config apply gateway-config.yaml --dry-run      the plan only",
            "  config apply gateway-config.yaml                the plan, then the changes in one transaction"
        },
        subcommands = {ConfigCommand.Export.class, ConfigCommand.Apply.class})
final class ConfigCommand {

    @Command(
            name = "export",
            description = "Write the configuration as YAML: endpoints, trusted CAs, CTL, CRLs, settings that differ "
                    + "from their defaults, connection point registrations (without their connection IDs) and quotas; sorted, so two exports "
                    + "of the same state differ only in their 'Exported from' line.")
    static final class Export extends AdminCall {
        @Option(
                names = {"-o", "--output"},
                paramLabel = "FILE",
                description = "Write to FILE instead of the standard output.")
        Path output;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            String yaml = api.getText("config", "application/yaml");
            if (output == null) {
                out.print(yaml);
                out.flush();
            } else {
                Files.writeString(output, yaml, StandardCharsets.UTF_8);
                out.println("wrote the configuration to " + output);
            }
        }
    }

    @Command(
            name = "apply",
            description = {
                "Make the gateway's configuration match FILE: print the plan (+ add, ~ change, - remove), "
                        + "then make every change in one database transaction, audited as one config.apply entry. Applying the same file "
                        + "again changes nothing.",
                "The whole file is checked first: a bad entry is named by its section and index (endpoints[2]) and nothing changes. "
                        + "Items a section of the file does not list are kept unless --prune is given; sections the file leaves out "
                        + "are not touched. A connection point registration the apply adds gets a new connection ID, printed once."
            })
    static final class Apply extends AdminCall {
        @Parameters(
                paramLabel = "FILE",
                description = "A YAML file written by config export, or a part of one (some sections).")
        Path file;

        @Option(names = "--dry-run", description = "Print the plan only: nothing changes.")
        boolean dryRun;

        @Option(
                names = "--prune",
                description = "Also remove what a section of the file does not list, and put settings the file "
                        + "leaves out back to their defaults.")
        boolean prune;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var result = api.post(
                    "config?dry_run=" + dryRun + "&prune=" + prune, AdminClient.readFile(file), "application/yaml");
            print(out, "Plan for " + file + ":", result.path("changes"), false);
            if (!result.path("kept").isEmpty()) {
                print(out, "Kept, as the file does not list them (--prune removes them):", result.path("kept"), true);
            }
            if (!result.path("untouched_sections").isEmpty()) {
                var sections = new StringBuilder();
                result.path("untouched_sections")
                        .forEach(s ->
                                sections.append(sections.isEmpty() ? "" : ", ").append(s.asText()));
                out.println("Sections the file leaves out, not touched: " + sections);
            }
            out.println(result.path("summary").asText() + "; "
                    + result.path("unchanged").asInt() + " unchanged.");
            if (result.path("changes").isEmpty()) {
                out.println("Nothing to change: the gateway already matches the file.");
            } else if (result.path("dry_run").asBoolean()) {
                out.println("Dry run: nothing was changed.");
            } else {
                out.println("Applied in one transaction, audited as config.apply.");
            }
            result.path("connection_ids")
                    .properties()
                    .forEach(e -> out.println("New connection ID of " + e.getKey() + ": "
                            + e.getValue().asText()
                            + " (shown only now: it is that connection point's connection-id in "
                            + "connection-point.yaml)"));
        }

        /** One line per item: its symbol (= for one kept), section, item and detail. */
        private static void print(PrintWriter out, String title, JsonNode changes, boolean kept) {
            out.println(title);
            if (changes.isEmpty()) {
                out.println("  (none)");
            }
            int width = 0;
            for (JsonNode c : changes) {
                width = Math.max(width, c.path("section").asText().length());
            }
            for (JsonNode c : changes) {
                String symbol = kept
                        ? "="
                        : switch (c.path("action").asText()) {
                            case "add" -> "+";
                            case "change" -> "~";
                            default -> "-";
                        };
                out.println(("  " + symbol + " "
                                + String.format(
                                        "%-" + width + "s", c.path("section").asText()) + "  "
                                + c.path("item").asText() + "  "
                                + c.path("detail").asText())
                        .stripTrailing());
            }
        }
    }
}
