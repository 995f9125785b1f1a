package org.opencmg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.opencmg.cli.client.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Package content of the cloud distribution point (the role-content plugin's /api/content). */
@Command(
        name = "content",
        description = "Package content (cloud distribution point): upload, list, remove, access tokens, storage key.",
        subcommands = {
            ContentCommand.Upload.class,
            ContentCommand.ListContent.class,
            ContentCommand.Remove.class,
            ContentCommand.Token.class,
            ContentCommand.RotateKey.class,
            ContentCommand.Keys.class,
            ContentCommand.AzureKey.class
        })
final class ContentCommand {

    @Command(
            name = "upload",
            description =
                    "Upload one file into a package, streamed (any size); its SHA-256 is computed "
                            + "by the gateway. Without --version a new version of the package is made; with it, the file is added to that version.")
    static final class Upload extends AdminCall {
        @Parameters(paramLabel = "FILE", description = "The file to upload (streamed; any size).")
        Path file;

        @Option(names = "--package", required = true, paramLabel = "ID", description = "Package ID (e.g. ABC00012).")
        String packageId;

        @Option(
                names = "--version",
                paramLabel = "N",
                description = "Add the file to this version (default: a new version).")
        Integer version;

        @Option(
                names = "--name",
                paramLabel = "NAME",
                description = "File name in the package (default: the file's name).")
        String name;

        @Option(names = "--quiet", description = "No progress bar.")
        boolean quiet;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            if (!Files.isRegularFile(file)) {
                throw new IOException("no such file: " + file);
            }
            long size = Files.size(file);
            String n = name != null ? name : file.getFileName().toString();
            String path = "content/" + AdminClient.encode(packageId) + "/files/" + AdminClient.encode(n)
                    + (version == null ? "" : "?version=" + version);
            PrintWriter err = spec.commandLine().getErr();
            var bar = new Progress(err, size, quiet);
            var r = api.postFile(path, file, bar::update);
            bar.done();
            out.println("uploaded " + r.path("name").asText() + " to "
                    + r.path("package_id").asText() + " version "
                    + r.path("version").asText() + ": " + r.path("size").asLong() + " bytes, sha256 "
                    + r.path("sha256").asText()
                    + " (" + r.path("store").asText() + " store)");
        }
    }

    /** A progress bar on stderr, redrawn at most every 1 % (and at the end). */
    static final class Progress {
        private final PrintWriter err;
        private final long total;
        private final boolean quiet;
        private final long started = System.nanoTime();
        private int shown = -1;

        Progress(PrintWriter err, long total, boolean quiet) {
            this.err = err;
            this.total = total;
            this.quiet = quiet;
        }

        synchronized void update(long sent) {
            int pct = total == 0 ? 100 : (int) (sent * 100 / total);
            if (quiet || pct == shown) {
                return;
            }
            shown = pct;
            double secs = Math.max(0.001, (System.nanoTime() - started) / 1e9);
            int filled = pct * 30 / 100;
            err.print("\r[" + "#".repeat(filled) + " ".repeat(30 - filled) + "] " + pct + "% " + sent / (1024 * 1024)
                    + "/" + total / (1024 * 1024) + " MiB "
                    + String.format(Locale.ROOT, "%.1f MiB/s", sent / secs / 1048576));
            err.flush();
        }

        void done() {
            if (!quiet && shown >= 0) {
                err.println();
                err.flush();
            }
        }
    }

    @Command(name = "list", description = "Packages, versions and files (size, SHA-256).")
    static final class ListContent extends AdminCall {
        @Option(names = "--package", paramLabel = "ID", description = "Only this package.")
        String packageId;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var rows = api.get(packageId == null ? "content" : "content/" + AdminClient.encode(packageId));
            if (json) {
                out.println(rows.toPrettyString());
                return;
            }
            if (rows.isEmpty()) {
                out.println("no content");
            }
            for (var v : rows) {
                out.println(v.path("package_id").asText() + " version "
                        + v.path("version").asText() + "  "
                        + v.path("files").size() + " files, " + v.path("size").asLong() + " bytes  (by "
                        + v.path("created_by").asText() + ", "
                        + v.path("created_at").asText() + ")");
                for (var f : v.path("files")) {
                    out.println("  " + f.path("name").asText() + "  "
                            + f.path("size").asLong() + "  sha256 "
                            + f.path("sha256").asText());
                }
            }
        }
    }

    @Command(name = "remove", description = "Remove a package (every version), or one version of it, with its content.")
    static final class Remove extends AdminCall {
        @Parameters(paramLabel = "ID", description = "The package ID.")
        String packageId;

        @Option(names = "--version", paramLabel = "N", description = "Only this version.")
        Integer version;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var r = api.delete(
                    "content/" + AdminClient.encode(packageId) + (version == null ? "" : "?version=" + version));
            out.println("removed " + r.path("removed").asText() + " ("
                    + r.path("files").asInt() + " files)");
        }
    }

    @Command(
            name = "token",
            description = "Issue a content access token for a package (what the management point hands a "
                    + "device; valid 24 hours by default). The token is alone on the last line, for scripts.")
    static final class Token extends AdminCall {
        @Option(
                names = "--package",
                required = true,
                paramLabel = "ID",
                description = "The package the token grants access to.")
        String packageId;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var r = api.post("content/" + AdminClient.encode(packageId) + "/token", new byte[0], "application/json");
            out.println("content access token for " + r.path("package_id").asText() + ", valid until "
                    + r.path("expires_at").asText()
                    + ". A device presents it as Authorization: Bearer at /downloadrestservice.svc/getcontentxmlsecure?pid="
                    + r.path("package_id").asText());
            out.println(r.path("token").asText());
        }
    }

    @Command(
            name = "rotate-key",
            description = {
                "Rotate the storage key. Filesystem store: a new key signs new URLs; the "
                        + "previous one stays valid until the last URL it signed expires (URL lifetime + 5 minutes).",
                "Azure store: signing moves to the other account key (key1 <-> key2); regenerate the retired key in Azure "
                        + "after the time printed, then store its new value with azure-key. Audited."
            })
    static final class RotateKey extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            var r = api.post("content/rotate-key", new byte[0], "application/json");
            out.println("storage key " + r.path("kid").asText() + " signs new content URLs now ("
                    + r.path("store").asText() + " store)");
            String until = r.path("previous_valid_until").asText();
            if (r.hasNonNull("regenerate")) {
                String old = r.path("regenerate").asText();
                out.println(old + " signed URLs valid until " + until + ": after that, regenerate " + old + " in Azure "
                        + "(az storage account keys renew --key " + (old.equals("key1") ? "primary" : "secondary")
                        + ") and store it: cmg content azure-key --slot " + old.substring(3) + " --key-file FILE");
            } else if (!until.isEmpty()) {
                out.println("the previous key stays valid until " + until);
            }
        }
    }

    @Command(name = "keys", description = "The storage keys of the store in use: state and dates, never a key.")
    static final class Keys extends AdminCall {
        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            Table.print(out, api.get("content/keys"), "kid", "state", "key_set_at", "valid_until");
        }
    }

    @Command(
            name = "azure-key",
            description = {
                "Store one of the Azure storage account's two access keys (as the portal or "
                        + "az storage account keys list shows it) in the gateway's secret store. The first key stored signs; store both "
                        + "so that rotate-key can move between them.",
                "Replacing the key that signs, or a retired key whose URLs have not expired, is refused without --force."
            })
    static final class AzureKey extends AdminCall {
        @Option(names = "--slot", required = true, paramLabel = "1|2", description = "key1 or key2.")
        int slot;

        @Option(
                names = "--key-file",
                required = true,
                paramLabel = "FILE",
                description = "File holding the key ('-': standard input).")
        String keyFile;

        @Option(names = "--force", description = "Replace it even though URLs it signed are still valid (they break).")
        boolean force;

        @Override
        void run(AdminClient api, PrintWriter out) throws IOException {
            String key = "-".equals(keyFile)
                    ? new String(System.in.readAllBytes(), StandardCharsets.US_ASCII)
                    : Files.readString(Path.of(keyFile), StandardCharsets.US_ASCII);
            var r = api.put(
                    "content/azure-keys/" + slot + (force ? "?force=true" : ""),
                    key.strip().getBytes(StandardCharsets.US_ASCII),
                    "application/octet-stream");
            out.println(r.path("kid").asText() + " stored (" + r.path("state").asText() + ")");
        }
    }
}
