package org.opencmg.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Azurite blob service (the Azure Storage emulator from npm) on loopback, for tests of the
 * Azure content store. One storage account with two keys, as Azure gives every account; the data
 * lives under a folder, so a {@link #restart} with other keys keeps the blobs.
 *
 * <p>The binary: system property {@code azurite.blob}, else environment {@code AZURITE_BLOB}, else
 * {@code ~/.cache/opencmg/azurite-VERSION/node_modules/.bin/azurite-blob}, where {@code ./run-tests}
 * installs it. Missing, the test fails and says how to install it: it is never skipped.
 */
public final class Azurite implements AutoCloseable {

    public static final String VERSION = "3.37.0";
    public static final String ACCOUNT = "opencmgtest";

    private final Path dir;
    private final int port;
    private final String key1;
    private final String key2;
    private Process process;

    private Azurite(Path dir, int port, String key1, String key2) {
        this.dir = dir;
        this.port = port;
        this.key1 = key1;
        this.key2 = key2;
    }

    /** Starts Azurite with data under {@code dir} and account {@link #ACCOUNT} with two fresh random keys. */
    public static Azurite start(Path dir) throws IOException {
        Azurite a = new Azurite(dir, freePort(), randomKey(), randomKey());
        a.launch(List.of(a.key1, a.key2));
        return a;
    }

    public static String randomKey() {
        byte[] k = new byte[64];
        new SecureRandom().nextBytes(k);
        return Base64.getEncoder().encodeToString(k);
    }

    public static Path binary() {
        String explicit = System.getProperty("azurite.blob", System.getenv("AZURITE_BLOB"));
        Path p = explicit != null && !explicit.isBlank()
                ? Path.of(explicit)
                : Path.of(
                        System.getProperty("user.home"),
                        ".cache",
                        "opencmg",
                        "azurite-" + VERSION,
                        "node_modules",
                        ".bin",
                        "azurite-blob");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(
                    "Azurite is not installed at " + p + ": ./run-tests installs it (npm install --prefix "
                            + "~/.cache/opencmg/azurite-" + VERSION + " azurite@" + VERSION + "), or set AZURITE_BLOB");
        }
        return p;
    }

    /** The blob endpoint as the gateway's azure-endpoint setting takes it. */
    public String endpoint() {
        return "http://127.0.0.1:" + port + "/" + ACCOUNT;
    }

    public int port() {
        return port;
    }

    public String key1() {
        return key1;
    }

    public String key2() {
        return key2;
    }

    /** Stops and starts again on the same port and data, the account now accepting only {@code keys}. */
    public void restart(List<String> keys) throws IOException {
        stop();
        launch(keys);
    }

    private void launch(List<String> keys) throws IOException {
        Files.createDirectories(dir);
        var pb = new ProcessBuilder(
                        binary().toString(),
                        "--blobHost",
                        "127.0.0.1",
                        "--blobPort",
                        Integer.toString(port),
                        "--location",
                        dir.toString(),
                        "--disableTelemetry",
                        "--skipApiVersionCheck",
                        "--loose")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("azurite.log").toFile()));
        pb.environment().put("AZURITE_ACCOUNTS", ACCOUNT + ":" + String.join(":", keys));
        process = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(
                        "Azurite exited with " + process.exitValue() + ": see " + dir.resolve("azurite.log"));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return;
            } catch (IOException notYet) {
                sleep(100);
            }
        }
        stop();
        throw new IOException("Azurite did not listen on " + port + " within 60 s: see " + dir.resolve("azurite.log"));
    }

    private void stop() {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    @Override
    public void close() {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
