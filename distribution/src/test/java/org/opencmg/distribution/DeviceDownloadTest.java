package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.cli.CmgCommand;
import org.opencmg.testkit.Azurite;

/**
 * {@code cmg device download} against a real gateway, as a certificate device: content access
 * token, content location, ranged downloads, hash check. On the filesystem store through a network
 * that is cut mid-download (it resumes), from the part file of an earlier run, and on the Azure
 * store (real Azurite), where the signed URLs lead straight to the storage service.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeviceDownloadTest {

    Path dir;
    TestPki pki;
    GatewayFixture gw;
    Azurite azurite;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        this.dir = dir;
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki);
        gw.trustTestDevices();
        pki.deviceFiles("downloader");
        azurite = Azurite.start(dir.resolve("azurite"));
    }

    @AfterAll
    void stop() {
        if (gw != null) {
            gw.close();
        }
        if (azurite != null) {
            azurite.close();
        }
    }

    /** {@code cmg ARGS}: exit code, stdout + stderr. */
    static String[] cmg(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = CmgCommand.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new String[] {Integer.toString(code), out + "\n" + err};
    }

    String[] admin(String... args) {
        var all = new ArrayList<>(List.of(args));
        all.add("--demo");
        all.add(gw.dir.toString());
        return cmg(all.toArray(String[]::new));
    }

    String[] download(int port, String pkg, Path out, String... more) {
        var args = new ArrayList<>(List.of(
                "device",
                "download",
                "--cert",
                pki.file("downloader.pem").toString(),
                "--key",
                pki.file("downloader-key.pem").toString(),
                "--gateway",
                "https://localhost:" + port,
                "--ca",
                pki.file("root.pem").toString(),
                "--package",
                pkg,
                "--out",
                out.toString(),
                "--quiet"));
        args.addAll(List.of(more));
        return cmg(args.toArray(String[]::new));
    }

    Path file(String name, int size, long seed) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return Files.write(dir.resolve(name), data);
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    void useFilesystemStore() {
        gw.check(gw.cli("settings", "set", "plugins.role-content.store", "filesystem"));
        gw.check(gw.cli(
                "settings",
                "set",
                "plugins.role-content.fs-root",
                dir.resolve("fs-store").toString()));
    }

    @Test
    void aDownloadCutMidwayResumesAndChecksTheHash() throws Exception {
        useFilesystemStore();
        Path payload = file("cut.bin", 64 * 1024 * 1024, 11);
        var up = admin("content", "upload", payload.toString(), "--package", "CUT00001", "--quiet");
        assertThat(up[0]).as(up[1]).isEqualTo("0");

        Path out = dir.resolve("out-cut");
        Path part = out.resolve("cut.bin.part");
        try (var network = new TcpProxy(gw.clientPort())) {
            var run =
                    CompletableFuture.supplyAsync(() -> download(network.port(), "CUT00001", out, "--range-mib", "32"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!(Files.exists(part) && Files.size(part) >= 8 * 1024 * 1024)
                    && !run.isDone()
                    && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            assertThat(run.isDone()).as("the download ended before the cut").isFalse();
            network.cutAll();
            String[] result = run.get();
            assertThat(result[0]).as(result[1]).isEqualTo("0");
            assertThat(result[1])
                    .contains("> GET https://localhost:" + network.port()
                            + "/downloadrestservice.svc/contentaccesstoken?pid=CUT00001")
                    .contains("> GET https://localhost:" + network.port()
                            + "/downloadrestservice.svc/getcontentxmlsecure?pid=CUT00001")
                    .contains("https://localhost:" + network.port() + "/content/CUT00001/1/cut.bin?se=")
                    .contains("cut at byte")
                    .contains("cut.bin: " + Files.size(payload) + " bytes, sha256 " + sha256(payload) + " ok");
        }
        assertThat(sha256(out.resolve("cut.bin"))).isEqualTo(sha256(payload));
        assertThat(part).doesNotExist();
    }

    @Test
    void aLaterRunResumesFromThePartFileAndStartsAgainIfTheFileChanged() throws Exception {
        useFilesystemStore();
        Path payload = file("part.bin", 5 * 1024 * 1024 + 17, 12);
        assertThat(admin("content", "upload", payload.toString(), "--package", "PART0001", "--quiet")[0])
                .isEqualTo("0");
        byte[] all = Files.readAllBytes(payload);
        String etag = "\"" + sha256(payload) + "\"";

        Path out = Files.createDirectories(dir.resolve("out-part"));
        Files.write(out.resolve("part.bin.part"), Arrays.copyOf(all, 3 * 1024 * 1024));
        Files.writeString(out.resolve("part.bin.part.etag"), etag + "\n");
        String[] resumed = download(gw.clientPort(), "PART0001", out);
        assertThat(resumed[0]).as(resumed[1]).isEqualTo("0");
        assertThat(resumed[1])
                .contains("part.bin: resuming at byte 3145728 of " + all.length)
                .doesNotContain("starting again");
        assertThat(Files.readAllBytes(out.resolve("part.bin"))).isEqualTo(all);

        // A part file of another version of the file (its ETag differs): If-Range makes the gateway send it whole.
        Path again = Files.createDirectories(dir.resolve("out-changed"));
        Files.write(again.resolve("part.bin.part"), new byte[1024 * 1024]);
        Files.writeString(again.resolve("part.bin.part.etag"), "\"0000\"\n");
        String[] restarted = download(gw.clientPort(), "PART0001", again);
        assertThat(restarted[0]).as(restarted[1]).isEqualTo("0");
        assertThat(restarted[1]).contains("the file changed (If-Range did not match): starting again");
        assertThat(Files.readAllBytes(again.resolve("part.bin"))).isEqualTo(all);

        // No credential the gateway accepts: refused before any content is located.
        var anonymous = cmg(
                "device",
                "download",
                "--identity",
                dir.resolve("no-such-identity").toString(),
                "--package",
                "PART0001",
                "--out",
                again.toString());
        assertThat(anonymous[0]).isEqualTo("2");
    }

    @Test
    void onTheAzureStoreTheSignedUrlsLeadStraightToStorage() throws Exception {
        gw.check(gw.cli("settings", "set", "plugins.role-content.store", "azure-blob"));
        gw.check(gw.cli("settings", "set", "plugins.role-content.azure-endpoint", azurite.endpoint()));
        Files.writeString(dir.resolve("key1"), azurite.key1());
        Files.writeString(dir.resolve("key2"), azurite.key2());
        var k1 = admin(
                "content",
                "azure-key",
                "--slot",
                "1",
                "--key-file",
                dir.resolve("key1").toString());
        assertThat(k1[0]).as(k1[1]).isEqualTo("0");
        assertThat(k1[1]).contains("key1 stored (active)");
        assertThat(admin(
                        "content",
                        "azure-key",
                        "--slot",
                        "2",
                        "--key-file",
                        dir.resolve("key2").toString())[1])
                .contains("key2 stored (standby)");

        Path payload = file("azure.bin", 9 * 1024 * 1024 + 5, 13);
        var up = admin("content", "upload", payload.toString(), "--package", "AZ000001", "--quiet");
        assertThat(up[0]).as(up[1]).isEqualTo("0");
        assertThat(up[1]).contains("(azure-blob store)");

        Path out = dir.resolve("out-azure");
        String[] result = download(gw.clientPort(), "AZ000001", out, "--range-mib", "2");
        assertThat(result[0]).as(result[1]).isEqualTo("0");
        assertThat(result[1])
                .contains(azurite.endpoint() + "/opencmg-content/AZ000001/1/azure.bin?sv=")
                .contains("&sig=")
                .contains("azure.bin: " + Files.size(payload) + " bytes, sha256 " + sha256(payload) + " ok");
        assertThat(sha256(out.resolve("azure.bin"))).isEqualTo(sha256(payload));

        var rotated = admin("content", "rotate-key");
        assertThat(rotated[1])
                .contains("storage key key2 signs new content URLs now (azure-blob store)")
                .contains("regenerate key1 in Azure");
        var keys = admin("content", "keys");
        assertThat(keys[1])
                .contains("key1")
                .contains("retired")
                .contains("key2")
                .contains("active")
                .doesNotContain(azurite.key1())
                .doesNotContain(azurite.key2());
        String[] afterRotation = download(gw.clientPort(), "AZ000001", dir.resolve("out-azure-2"));
        assertThat(afterRotation[0]).as(afterRotation[1]).isEqualTo("0");
    }
}
