package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import org.opencmg.cli.client.AdminClient;
import org.opencmg.server.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Bulk registration tokens (the auth-token plugin's /api/tokens) and the token signing key. */
@Command(
        name = "token",
        description = "Bulk registration tokens for token devices, and the token signing key.",
        subcommands = {
            TokenCommand.New.class,
            TokenCommand.ListTokens.class,
            TokenCommand.Block.class,
            TokenCommand.Unblock.class,
            TokenCommand.RotateSigningKey.class,
            TokenCommand.Devices.class
        })
final class TokenCommand {

    @Command(
            name = "new",
            description = "Issue a bulk registration token. Its ID and the token are printed once; "
                    + "the token is stored nowhere. The token is alone on the last line, for scripts.")
    static final class New extends AdminCall {
        @Option(
                names = "--lifetime",
                paramLabel = "MINUTES",
                description = "Lifetime in minutes (default 4320 = 3 days, at most 10080 = 7 days).")
        Long lifetime;

        @Option(
                names = "--max-registrations",
                paramLabel = "N",
                description = "How many new devices it may register (default: no limit).")
        Long maxRegistrations;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var body = new LinkedHashMap<String, Object>();
            if (lifetime != null) {
                body.put("lifetime_minutes", lifetime);
            }
            if (maxRegistrations != null) {
                body.put("max_registrations", maxRegistrations);
            }
            var t = api.post(
                    "tokens",
                    Json.MAPPER.writeValueAsString(body).getBytes(StandardCharsets.UTF_8),
                    "application/json");
            out.println("bulk registration token ID: " + t.path("id").asText());
            out.println("valid from " + t.path("not_before").asText() + " to "
                    + t.path("expires_at").asText() + "; "
                    + (t.path("max_registrations").isNumber()
                            ? "at most " + t.path("max_registrations").asInt() + " devices"
                            : "no limit on devices"));
            out.println("The token is shown only now and is stored nowhere. Block it with: cmg token block "
                    + t.path("id").asText());
            out.println("A device registers with it: cmg device register --bulk-token FILE --out DIR ...");
            out.println("(or ccmsetup.exe ... /regtoken:<token>). The token:");
            out.println(t.path("token").asText());
        }
    }

    @Command(
            name = "list",
            description = "Bulk registration tokens issued (IDs, validity, blocked or not; never the tokens).")
    static final class ListTokens extends AdminCall {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var rows = api.get("tokens");
            if (json) {
                out.println(rows.toPrettyString());
            } else {
                Table.print(
                        out,
                        rows,
                        "id",
                        "state",
                        "not_before",
                        "expires_at",
                        "registrations",
                        "max_registrations",
                        "issued_by",
                        "blocked_by");
            }
        }
    }

    @Command(
            name = "block",
            description =
                    "Block a bulk registration token: devices can no longer register with it (every instance, at once).")
    static final class Block extends AdminCall {
        @Parameters(paramLabel = "ID", description = "The token's ID (jti), as token list shows it.")
        String id;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var t = api.post("tokens/" + AdminClient.encode(id) + "/block", new byte[0], "application/json");
            out.println("blocked bulk registration token " + t.path("id").asText());
        }
    }

    @Command(name = "unblock", description = "Unblock a bulk registration token.")
    static final class Unblock extends AdminCall {
        @Parameters(paramLabel = "ID", description = "The token's ID (jti), as token list shows it.")
        String id;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var t = api.post("tokens/" + AdminClient.encode(id) + "/unblock", new byte[0], "application/json");
            out.println("unblocked bulk registration token " + t.path("id").asText() + " ("
                    + t.path("state").asText() + ")");
        }
    }

    @Command(
            name = "rotate-signing-key",
            description =
                    "Make a new token signing key. New tokens are signed with it; "
                            + "the previous key stays valid for 91 days, so device tokens (90 days) and access tokens already issued keep working.")
    static final class RotateSigningKey extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var k = api.post("tokens/rotate-signing-key", new byte[0], "application/json");
            out.println("new token signing key " + k.path("kid").asText() + " (version "
                    + k.path("version").asText() + ")");
            out.println("previous keys stay valid until "
                    + k.path("previous_valid_until").asText());
        }
    }

    /** Registered token devices (/api/devices): list, block, unblock, delete. */
    @Command(
            name = "device",
            description = "Token devices registered with a bulk token: list, block, unblock, delete.",
            subcommands = {
                Devices.ListDevices.class,
                Devices.BlockDevice.class,
                Devices.UnblockDevice.class,
                Devices.DeleteDevice.class
            })
    static final class Devices {

        @Command(name = "list", description = "Registered token devices (ID, name, state, bulk token).")
        static final class ListDevices extends AdminCall {
            @Option(names = "--json", description = "Print JSON.")
            boolean json;

            @Override
            void run(AdminClient api, PrintWriter out) throws IOException {
                var rows = api.get("devices");
                if (json) {
                    out.println(rows.toPrettyString());
                } else {
                    Table.print(out, rows, "id", "name", "state", "registered_at", "bulk_token_id", "last_issued_at");
                }
            }
        }

        @Command(
                name = "block",
                description = "Block a device: its device and access tokens are refused on every instance "
                        + "within a second; it can neither renew nor register again until unblocked.")
        static final class BlockDevice extends AdminCall {
            @Parameters(paramLabel = "ID", description = "The device's ID, as token device list shows it.")
            String id;

            @Override
            void run(AdminClient api, PrintWriter out) throws IOException {
                var d = api.post("devices/" + AdminClient.encode(id) + "/block", new byte[0], "application/json");
                out.println("blocked device " + d.path("id").asText() + " ("
                        + d.path("name").asText() + ")");
            }
        }

        @Command(name = "unblock", description = "Unblock a device: its tokens are accepted again.")
        static final class UnblockDevice extends AdminCall {
            @Parameters(paramLabel = "ID", description = "The device's ID, as token device list shows it.")
            String id;

            @Override
            void run(AdminClient api, PrintWriter out) throws IOException {
                var d = api.post("devices/" + AdminClient.encode(id) + "/unblock", new byte[0], "application/json");
                out.println("unblocked device " + d.path("id").asText() + " ("
                        + d.path("name").asText() + ")");
            }
        }

        @Command(
                name = "delete",
                description = "Delete a device: every token issued to it so far is refused on every instance "
                        + "within a second; its key may register again with a bulk token (block it to keep it out).")
        static final class DeleteDevice extends AdminCall {
            @Parameters(paramLabel = "ID", description = "The device's ID, as token device list shows it.")
            String id;

            @Override
            void run(AdminClient api, PrintWriter out) throws IOException {
                var d = api.delete("devices/" + AdminClient.encode(id));
                out.println("deleted device " + d.path("deleted").asText());
            }
        }
    }
}
