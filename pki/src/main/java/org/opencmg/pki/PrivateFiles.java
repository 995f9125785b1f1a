package org.opencmg.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files holding a secret (keys, passwords, connection IDs). On POSIX file systems they are created
 * readable by the owner only (0600) from their first byte: no chmod after the write, so there is no
 * moment under the umask's default permissions.
 */
public final class PrivateFiles {

    private PrivateFiles() {}

    /** Creates {@code file} (which must not exist) with {@code content}; fails if another process made it first. */
    public static void create(Path file, String content) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.createFile(file, ownerOnly(file));
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    /**
     * Writes {@code content} to a new 0600 file beside {@code file}, then moves it into place: a
     * reader sees the old file or the whole new one, and an old file's looser permissions go with it.
     */
    public static void replace(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".tmp-", "", ownerOnly(file));
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static FileAttribute<?>[] ownerOnly(Path file) throws IOException {
        if (!Files.getFileStore(file.toAbsolutePath().getParent())
                .supportsFileAttributeView(PosixFileAttributeView.class)) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
        };
    }
}
