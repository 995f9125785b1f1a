package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.cli.CmgCommand;

/**
 * Content streams both ways with constant memory: a 2 GiB file goes up through the admin API
 * ({@code cmg content upload}) and comes down through the content endpoint in ranged GETs
 * ({@code cmg device download}), with {@code cmg gateway} running as its own JVM with -Xmx128m
 * (a sixteenth of the file: buffering it anywhere would fail).
 */
class ContentLargeFileProcessTest {

    static final long SIZE = 2L * 1024 * 1024 * 1024;

    @Test
    void a2GiBFileUpAndDownThroughAGatewayWithA128MiBHeap(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        pki.deviceFiles("big-device");
        Path file = dir.resolve("big.bin");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[1024 * 1024];
        new Random(5).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < SIZE / block.length; i++) {
                block[0] = (byte) i;
                block[1] = (byte) (i >> 8);
                out.write(block);
                sha.update(block);
            }
        }
        String expected = HexFormat.of().formatHex(sha.digest());
        try (var gw =
                GatewayFixture.process(Files.createDirectories(dir.resolve("gw")), pki, "{idle: 30s}", "-Xmx128m")) {
            gw.trustTestDevices();
            gw.check(gw.cli(
                    "settings",
                    "set",
                    "plugins.role-content.fs-root",
                    dir.resolve("store").toString()));
            long t0 = System.nanoTime();
            String up = cmg(
                    "content",
                    "upload",
                    file.toString(),
                    "--package",
                    "BIG00001",
                    "--quiet",
                    "--demo",
                    gw.dir.toString());
            long upMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(up).contains("sha256 " + expected);

            Path out = dir.resolve("download");
            t0 = System.nanoTime();
            String down = cmg(
                    "device",
                    "download",
                    "--cert",
                    pki.file("big-device.pem").toString(),
                    "--key",
                    pki.file("big-device-key.pem").toString(),
                    "--gateway",
                    gw.clientUrl("/").toString(),
                    "--ca",
                    pki.file("root.pem").toString(),
                    "--package",
                    "BIG00001",
                    "--out",
                    out.toString(),
                    "--quiet");
            long downMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(down).contains("big.bin: " + SIZE + " bytes, sha256 " + expected + " ok");
            assertThat(Files.size(out.resolve("big.bin"))).isEqualTo(SIZE);
            Files.delete(out.resolve("big.bin")); // 2 GiB less on the disk for the rest of the build
            assertThat(Files.readString(gw.log())).doesNotContain("OutOfMemoryError");
            System.out.printf(
                    "2 GiB content up in %d ms (%.0f MiB/s), down in %d ms (%.0f MiB/s, with the device's hash check; "
                            + "gateway -Xmx128m)%n",
                    upMillis, 2048_000.0 / upMillis, downMillis, 2048_000.0 / downMillis);
        }
    }

    /** {@code cmg ARGS} in this JVM: stdout and stderr; fails the test on a non-zero exit. */
    private static String cmg(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = CmgCommand.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        assertThat(code).as(out + "" + err).isZero();
        return out.toString();
    }
}
