package org.opencmg.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (Debian's package) on loopback for the tests of several gateway
 * instances on one store: its own cluster in a folder, password authentication, one database.
 * PostgreSQL refuses to run as root, so as root the cluster belongs to the {@code postgres} user.
 * Missing, the test fails and says how to install it: it is never skipped.
 */
public final class Postgres implements AutoCloseable {

    public static final String USER = "cmg";
    public static final String PASSWORD = "test-pg-password-41c9";
    public static final String DATABASE = "cmg";

    private final Path dir;
    private final Path bin;
    private final int port;
    private final boolean asPostgresUser;

    private Postgres(Path dir, Path bin, int port) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.asPostgresUser = "root".equals(System.getProperty("user.name"));
    }

    /**
     * initdb, start, create the database. The cluster lives in a folder of its own under the system's
     * temporary folder (the {@code postgres} user must reach it; a test's temporary folder is private
     * to root), deleted by {@link #close}.
     */
    public static Postgres start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("opencmg-pg-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        var pg = new Postgres(dir, binaries(), freePort());
        pg.init();
        pg.startServer();
        pg.run(
                pg.bin.resolve("createdb").toString(),
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(pg.port),
                "-U",
                USER,
                DATABASE);
        return pg;
    }

    static Path binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                var newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparing(
                                v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))));
                if (newest.isPresent()) {
                    return newest.get().resolve("bin");
                }
            } catch (IOException e) {
                // reported below
            }
        }
        throw new IllegalStateException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                + "./run-tests installs it (apt-get install postgresql)");
    }

    /** The JDBC URL of the database, as the gateway's database.url takes it. */
    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public int port() {
        return port;
    }

    private Path data() {
        return dir.resolve("pgdata");
    }

    private void init() throws IOException, InterruptedException {
        Files.createDirectories(data());
        Path pwfile = dir.resolve("pwfile");
        Files.writeString(pwfile, PASSWORD + "\n");
        if (asPostgresUser) {
            UserPrincipal postgres =
                    dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, postgres);
            Files.setOwner(data(), postgres);
            Files.setOwner(pwfile, postgres);
        }
        run(
                bin.resolve("initdb").toString(),
                "-D",
                data().toString(),
                "-U",
                USER,
                "--pwfile=" + pwfile,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-instructions");
    }

    private void startServer() throws IOException, InterruptedException {
        run(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data().toString(),
                "-l",
                dir.resolve("postgres.log").toString(),
                "-w",
                "-t",
                "60",
                "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir
                        + " -c max_connections=200" + " -c fsync=off -c synchronous_commit=off",
                "start");
    }

    /** Stops PostgreSQL (fast shutdown: open connections are cut) and starts it again on the same port and data. */
    public void restart() throws IOException, InterruptedException {
        stop();
        startServer();
    }

    public void stop() throws IOException, InterruptedException {
        run(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "fast", "-w", "stop");
    }

    private void run(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asPostgresUser) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(List.of(command));
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", PASSWORD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (IOException e) {
            // already stopped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover folder in the temporary folder; nothing depends on it
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
