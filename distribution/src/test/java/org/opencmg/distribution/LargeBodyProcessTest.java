package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product as shipped, each half in its own small JVM (-Xmx128m): {@code cmg gateway} and
 * {@code cmg connection-point} from the distribution layout, set up through the CLI and admin API.
 * 256 MiB go up and 256 MiB come down through device → gateway → channel → connection point →
 * internal server, streamed all the way: neither heap could hold one body.
 */
class LargeBodyProcessTest {

    static final String CONTENT = "/CCM_Proxy_MutualAuth/72057594037927940/Content";
    static final long SIZE = 256L * 1024 * 1024;
    static final List<String> SMALL_HEAP = List.of("-Xmx128m");

    @TempDir
    Path dir;

    @Test
    void a256MiBUploadAndA256MiBDownloadPassThroughGatewayAndConnectionPointProcessesWithSmallHeaps() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        String expected = InternalServer.PatternBytes.sha256(SIZE);
        try (var site = new InternalServer(pki);
                var gw = GatewayFixture.process(
                        Files.createDirectories(dir.resolve("gw")), pki, "{idle: 30s}", "-Xmx128m");
                var cp = new ConnectionPointFixture(dir, pki, "cp-big", "PS1")) {
            try {
                gw.trustTestDevices();
                gw.publish(
                        CONTENT, site.url("/site/Content"), "PS1", "--max-request-bytes", String.valueOf(SIZE + 1024));
                cp.register(gw).startProcess(SMALL_HEAP, gw.channelUrl());
                var device = new DeviceClient(gw, pki.device("big-device"));
                Awaitility.await("a request passes the whole path")
                        .atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(250))
                        .ignoreExceptions()
                        .until(() -> device.get(CONTENT + "/ping").statusCode() == 200);
                assertThat(gw.api().get("channels").toString())
                        .contains("\"connection_point\":\"cp-big\"")
                        .contains("\"state\":\"up\"");

                long t0 = System.nanoTime();
                var upload = device.http.send(
                        device.request(CONTENT + "/big/upload")
                                .timeout(Duration.ofMinutes(3))
                                .POST(HttpRequest.BodyPublishers.fromPublisher(
                                        HttpRequest.BodyPublishers.ofInputStream(
                                                () -> new InternalServer.PatternBytes(SIZE)),
                                        SIZE))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                long upMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
                JsonNode received = InternalServer.JSON.readTree(upload.body());
                assertThat(received.path("bytes").asLong()).isEqualTo(SIZE);
                assertThat(received.path("sha256").asText()).isEqualTo(expected);

                t0 = System.nanoTime();
                var download = device.http.send(
                        device.request(CONTENT + "/big/download?bytes=" + SIZE)
                                .timeout(Duration.ofMinutes(3))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(download.statusCode()).isEqualTo(200);
                assertThat(download.headers().firstValueAsLong("Content-Length"))
                        .hasValue(SIZE);
                var sha = MessageDigest.getInstance("SHA-256");
                long n = 0;
                try (InputStream in = download.body()) {
                    byte[] buf = new byte[64 * 1024];
                    int r;
                    while ((r = in.read(buf)) >= 0) {
                        sha.update(buf, 0, r);
                        n += r;
                    }
                }
                long downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(n).isEqualTo(SIZE);
                assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(expected);
                System.out.printf(
                        "256 MiB up in %d ms (%.0f MiB/s), down in %d ms (%.0f MiB/s)%n",
                        upMillis, 256_000.0 / upMillis, downMillis, 256_000.0 / downMillis);

                assertThat(Files.readString(gw.log())).doesNotContain("OutOfMemoryError");
                assertThat(Files.readString(cp.log())).doesNotContain("OutOfMemoryError");
            } catch (Throwable t) {
                System.out.println(ProcessLogs.tail(gw.log(), 60));
                System.out.println(ProcessLogs.tail(cp.log(), 60));
                throw t;
            }
        }
    }
}
