package org.opencmg.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secret files are owner-only (0600) from the first moment anyone can see them, whatever the umask. */
class PrivateFilesTest {

    @TempDir
    Path dir;

    private static String perms(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void createMakesAnOwnerOnlyFileAndNeverOverwrites() throws Exception {
        Path file = dir.resolve("sub/initial-admin-password");
        PrivateFiles.create(file, "secret\n");
        assertThat(perms(file)).isEqualTo("rw-------");
        assertThat(Files.readString(file)).isEqualTo("secret\n");
        assertThatThrownBy(() -> PrivateFiles.create(file, "other\n")).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(file)).isEqualTo("secret\n");
    }

    @Test
    void replaceTakesAWorldReadableFileAwayWithItsContent() throws Exception {
        Path file = dir.resolve("demo.json");
        Files.writeString(file, "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        PrivateFiles.replace(file, "{\"admin_password\":\"x\"}\n");
        assertThat(perms(file)).isEqualTo("rw-------");
        assertThat(Files.readString(file)).isEqualTo("{\"admin_password\":\"x\"}\n");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file); // no temporary file left behind
        }
    }

    /** A watcher polling the path while a large secret is written never sees it with other permissions. */
    @Test
    void noReaderEverSeesTheFileWithLooserPermissions() throws Exception {
        String big = "k".repeat(64 * 1024 * 1024);
        for (boolean replace : new boolean[] {false, true}) {
            Path file = dir.resolve("secret-" + replace);
            Set<String> seen = ConcurrentHashMap.newKeySet();
            var done = new AtomicBoolean();
            var watcher = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    try {
                        seen.add(perms(file));
                    } catch (NoSuchFileException e) {
                        // not there yet
                    } catch (Exception e) {
                        seen.add(e.toString());
                    }
                }
            });
            if (replace) {
                PrivateFiles.replace(file, big);
            } else {
                PrivateFiles.create(file, big);
            }
            done.set(true);
            watcher.join();
            assertThat(seen).as(replace ? "replace" : "create").isSubsetOf("rw-------");
            assertThat(perms(file)).isEqualTo("rw-------");
        }
    }
}
