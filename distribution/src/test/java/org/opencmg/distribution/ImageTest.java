package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.pki.KeyMaterial;

/**
 * The container image Jib builds (target/opencmg-image.tar, an OCI image layout): its manifest and
 * configuration (non-root user, volumes, ports, entrypoint, epoch timestamps), its layers (FROM
 * scratch: a jlinked Java runtime and its C libraries, the product in /opt/opencmg, no shell), and,
 * as root (no container runtime here), its root filesystem run as a container would run it: in
 * a new mount namespace with /proc (unshare), chrooted, as the image's user, with the
 * image's environment and entrypoint: cmg --version, pki init, then a gateway answering /health.
 */
class ImageTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theImageIsANonRootOciImageFromScratchThatRunsTheGateway() throws Exception {
        Path image = Path.of(System.getProperty("cmg.image"));
        assumeTrue(Files.exists(image), "image not built (-DskipImage)");
        Path layout = Files.createDirectories(dir.resolve("oci"));
        exec(List.of("tar", "-xf", image.toString(), "-C", layout.toString()));
        assertThat(layout.resolve("oci-layout")).exists();

        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        assertThat(index.path("manifests")).hasSize(1);
        assertThat(index.at("/manifests/0/annotations/org.opencontainers.image.ref.name")
                        .asText())
                .isEqualTo("opencmg:" + ReleaseArchiveTest.version());
        JsonNode manifest = JSON.readTree(
                blob(layout, index.at("/manifests/0/digest").asText()).toFile());
        JsonNode config = JSON.readTree(
                blob(layout, manifest.at("/config/digest").asText()).toFile());

        assertThat(config.path("os").asText()).isEqualTo("linux");
        assertThat(config.path("created").asText())
                .as("reproducible: epoch timestamps")
                .startsWith("1970-01-01T00:00:00");
        JsonNode c = config.path("config");
        assertThat(c.path("User").asText()).isEqualTo("10001:10001");
        assertThat(c.path("Volumes").has("/etc/opencmg")).isTrue();
        assertThat(c.path("Volumes").has("/var/lib/opencmg")).isTrue();
        assertThat(c.path("ExposedPorts").has("443/tcp")).isTrue();
        assertThat(c.path("ExposedPorts").has("10124/tcp")).isTrue();
        assertThat(c.path("Labels").path("org.opencontainers.image.licenses").asText())
                .isEqualTo("Apache-2.0");
        assertThat(c.path("Labels").path("org.opencontainers.image.version").asText())
                .isEqualTo(ReleaseArchiveTest.version());
        var entrypoint = new ArrayList<String>();
        c.path("Entrypoint").forEach(a -> entrypoint.add(a.asText()));
        assertThat(entrypoint).startsWith("/opt/java/bin/java").endsWith("org.opencmg.cli.CmgCommand");
        assertThat(c.path("Cmd").toString()).isEqualTo("[\"gateway\",\"--config\",\"/etc/opencmg/gateway.yaml\"]");

        // Every blob is what its digest says; the layers, in order, make the root filesystem.
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        for (JsonNode layer : manifest.path("layers")) {
            exec(List.of(
                    "tar", "-xzf", blob(layout, layer.path("digest").asText()).toString(), "-C", rootfs.toString()));
        }
        for (String f : List.of(
                "opt/java/bin/java",
                "opt/opencmg/LICENSE",
                "opt/opencmg/NOTICE",
                "opt/opencmg/plugins/auth-pki.jar",
                "opt/opencmg/plugins/role-content/plugin.properties",
                "opt/opencmg/config/gateway.yaml",
                "lib64/ld-linux-x86-64.so.2",
                // the licences of what the image ships besides OpenCMG: the Java runtime's, and glibc's (LGPL)
                "opt/java/legal/java.base/LICENSE",
                "usr/share/doc/libc6/copyright")) {
            assertThat(rootfs.resolve(f)).as(f).isRegularFile();
        }
        try (var libs = Files.list(rootfs.resolve("opt/opencmg/libs"))) {
            assertThat(libs.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("server-"));
        }
        assertThat(rootfs.resolve("bin/sh")).as("FROM scratch: no shell").doesNotExist();

        assumeTrue(
                Files.isExecutable(Path.of("/usr/sbin/chroot"))
                        && Files.isExecutable(Path.of("/usr/bin/unshare"))
                        && "root".equals(System.getProperty("user.name")),
                "running the image's filesystem needs unshare and chroot as root");
        var env = new ArrayList<String>();
        c.path("Env").forEach(e -> env.add(e.asText()));
        var version = chroot(rootfs, env, entrypoint, List.of("--version"));
        assertThat(version).startsWith("OpenCMG " + ReleaseArchiveTest.version() + "\n");
        chroot(rootfs, env, entrypoint, List.of("pki", "init", "--dir", "/var/lib/opencmg/pki"));

        int port = GatewayProcessTest.freePort();
        Files.writeString(rootfs.resolve("etc/opencmg/gateway.yaml"), """
                data-dir: /var/lib/opencmg/data
                client: {host: 127.0.0.1, port: %d, certificate: /var/lib/opencmg/pki/gateway.pem, key: /var/lib/opencmg/pki/gateway-key.pem}
                channel: {host: 127.0.0.1, port: 0}
                admin: {port: 0}
                """.formatted(port));
        long started = System.nanoTime();
        Process gateway = container(
                        rootfs, env, entrypoint, List.of("gateway", "--config", "/etc/opencmg/gateway.yaml"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("gateway.log").toFile())
                .start();
        try {
            var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(KeyMaterial.trustStore(rootfs.resolve("var/lib/opencmg/pki/ca.pem")));
            var tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            try (var http = HttpClient.newBuilder()
                    .sslContext(tls)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()) {
                var health = HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/health"))
                        .build();
                Awaitility.await("the image's gateway /health")
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(250))
                        .ignoreExceptions()
                        .failFast(() -> !gateway.isAlive())
                        .until(() -> http.send(health, HttpResponse.BodyHandlers.ofString())
                                        .statusCode()
                                == 200);
            }
            System.err.printf("image gateway healthy after %d ms%n", (System.nanoTime() - started) / 1_000_000);
        } finally {
            long stopping = System.nanoTime();
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly();
            }
            System.err.printf(
                    "image gateway stopped in %d ms (exit %d)%n",
                    (System.nanoTime() - stopping) / 1_000_000, gateway.exitValue());
        }
        assertThat(Files.getOwner(rootfs.resolve("var/lib/opencmg/data/initial-admin-password"))
                        .getName())
                .as("written by the image's user, not root")
                .isNotEqualTo("root");
    }

    private static Path blob(Path layout, String digest) throws Exception {
        assertThat(digest).startsWith("sha256:");
        Path file = layout.resolve("blobs/sha256/" + digest.substring(7));
        var sha = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        assertThat(HexFormat.of().formatHex(sha.digest())).as(digest).isEqualTo(digest.substring(7));
        return file;
    }

    /**
     * The image's entrypoint with ARGS as a container: a private mount namespace (nothing mounted
     * shows outside), the root filesystem a mount point of its own with /proc in it, the image's
     * user and only the image's environment. unshare, sh and chroot each exec the next, so the
     * process started is the JVM itself and SIGTERM reaches it.
     */
    private static ProcessBuilder container(Path rootfs, List<String> env, List<String> entrypoint, List<String> args) {
        var command = new ArrayList<>(List.of(
                "/usr/bin/unshare",
                "--mount",
                "/bin/sh",
                "-c",
                "mount --bind \"$0\" \"$0\" && mount -t proc proc \"$0/proc\" && exec /usr/sbin/chroot --userspec=10001:10001 \"$0\" \"$@\"",
                rootfs.toString()));
        command.addAll(entrypoint);
        command.addAll(args);
        var pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin"); // for sh's mount; not passed on: the JVM gets env below
        env.forEach(e -> pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1)));
        return pb;
    }

    private static String chroot(Path rootfs, List<String> env, List<String> entrypoint, List<String> args)
            throws Exception {
        Process p = container(rootfs, env, entrypoint, args)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static void exec(List<String> command) throws Exception {
        var p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as(out).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
