package org.opencmg.server.secrets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.opencmg.pki.PrivateFiles;

/**
 * The key that encrypts every secret at rest: 32 random bytes, base64, from an environment
 * variable or from a file only its owner may read (made on first start). Every gateway instance
 * sharing a store needs the same master key.
 */
public final class MasterKey {

    private final SecretKey key;
    private final String id;

    private MasterKey(byte[] raw) {
        if (raw.length != 32) {
            throw new IllegalArgumentException("the master key must be 32 bytes (base64 of 32 random bytes)");
        }
        this.key = new SecretKeySpec(raw, "AES");
        try {
            this.id = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(raw), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** From {@code envValue} when set, else from {@code file}, which is created (0600) if missing. */
    public static MasterKey load(String envValue, Path file) throws IOException {
        if (envValue != null && !envValue.isBlank()) {
            return new MasterKey(decode(envValue, "the master key environment variable"));
        }
        if (!Files.exists(file)) {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            PrivateFiles.create(file, Base64.getEncoder().encodeToString(raw) + "\n");
            return new MasterKey(raw);
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.stream()
                .anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
            throw new IOException("master key file " + file + " is readable by others ("
                    + PosixFilePermissions.toString(perms) + "); chmod 600 it");
        }
        return new MasterKey(decode(Files.readString(file).strip(), file.toString()));
    }

    private static byte[] decode(String b64, String where) {
        try {
            return Base64.getDecoder().decode(b64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " is not base64");
        }
    }

    SecretKey key() {
        return key;
    }

    /** A short public fingerprint: tells which master key encrypted a row, reveals nothing. */
    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return "MasterKey[" + id + "]";
    }
}
