package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.server.cli.CmgCommand;

/**
 * Content streams both ways with constant memory: a 256 MiB file goes up through the admin API
 * ({@code cmg content upload}) and comes down through the content endpoint of {@code cmg gateway}
 * running as its own JVM with -Xmx128m (twice its heap; buffering it anywhere would fail).
 */
class ContentLargeFileProcessTest {

    static final long SIZE = 256L * 1024 * 1024;

    @Test
    void a256MiBFileUpAndDownThroughAGatewayWithA128MiBHeap(@TempDir Path dir) throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
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
        try (var gw = GatewayFixture.process(Files.createDirectories(dir.resolve("gw")), pki, "{idle: 30s}", "-Xmx128m");
             var http = HttpClient.newBuilder().sslContext(pki.clientContext(null)).version(HttpClient.Version.HTTP_1_1).build()) {
            gw.check(gw.cli("settings", "set", "plugins.role-content.fs-root", dir.resolve("store").toString()));
            long t0 = System.nanoTime();
            String up = cmg(gw.dir, "content", "upload", file.toString(), "--package", "BIG00001", "--quiet");
            long upMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(up).contains("sha256 " + expected);
            String tokenOut = cmg(gw.dir, "content", "token", "--package", "BIG00001").strip();
            String token = tokenOut.substring(tokenOut.lastIndexOf('\n') + 1).strip();

            var loc = http.send(HttpRequest.newBuilder(gw.clientUrl("/downloadrestservice.svc/getcontentxmlsecure?pid=BIG00001"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(loc.statusCode()).as(loc.body()).isEqualTo(200);
            Matcher m = Pattern.compile("Url=\"([^\"]+)\"").matcher(loc.body());
            assertThat(m.find()).isTrue();
            URI url = URI.create(m.group(1).replace("&amp;", "&"));

            t0 = System.nanoTime();
            var down = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(down.statusCode()).isEqualTo(200);
            assertThat(down.headers().firstValueAsLong("Content-Length")).hasValue(SIZE);
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            long n = 0;
            try (InputStream in = down.body()) {
                byte[] buf = new byte[256 * 1024];
                int r;
                while ((r = in.read(buf)) >= 0) {
                    got.update(buf, 0, r);
                    n += r;
                }
            }
            long downMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(n).isEqualTo(SIZE);
            assertThat(HexFormat.of().formatHex(got.digest())).isEqualTo(expected);
            assertThat(Files.readString(gw.log())).doesNotContain("OutOfMemoryError");
            System.out.printf("256 MiB content up in %d ms, down in %d ms (gateway -Xmx128m)%n", upMillis, downMillis);
        }
    }

    private static String cmg(Path demoDir, String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--demo", demoDir.toString()))
                .toArray(String[]::new);
        int code = CmgCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(all);
        assertThat(code).as(out + "" + err).isZero();
        return out.toString();
    }

}
