package org.opencmg.server.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes in the PHC string form
 * ({@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}), the OWASP-recommended minimum cost.
 */
public final class PasswordHasher {

    private static final int MEMORY_KIB = 19_456;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    /** Evaluations running at once: each holds 19 MiB, so a burst of logins cannot exhaust the heap. */
    static final int MAX_CONCURRENT = Math.clamp(Runtime.getRuntime().availableProcessors(), 2, 8);

    private static final Semaphore RUNNING = new Semaphore(MAX_CONCURRENT, true);
    private static final AtomicInteger RUNNING_NOW = new AtomicInteger();
    private static final AtomicInteger RUNNING_PEAK = new AtomicInteger();

    private PasswordHasher() {}

    /** The most evaluations that ever ran at once in this JVM (at most {@link #MAX_CONCURRENT}). */
    static int peakConcurrent() {
        return RUNNING_PEAK.get();
    }

    public static String hash(char[] password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        byte[] out = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, 32);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM + "$"
                + B64.encodeToString(salt) + "$" + B64.encodeToString(out);
    }

    /** False for a wrong password and for anything that is not a well-formed Argon2id PHC string. */
    public static boolean verify(char[] password, String phc) {
        try {
            return verifyWellFormed(password, phc);
        } catch (RuntimeException malformed) {
            return false;
        }
    }

    private static boolean verifyWellFormed(char[] password, String phc) {
        String[] parts = phc.split("\\$");
        if (parts.length != 6 || !"argon2id".equals(parts[1])) {
            return false;
        }
        int m = 0;
        int t = 0;
        int p = 0;
        for (String kv : parts[3].split(",")) {
            String[] pair = kv.split("=");
            int v = Integer.parseInt(pair[1]);
            switch (pair[0]) {
                case "m" -> m = v;
                case "t" -> t = v;
                case "p" -> p = v;
                default -> {
                    return false;
                }
            }
        }
        byte[] salt = B64D.decode(parts[4]);
        byte[] expected = B64D.decode(parts[5]);
        return MessageDigest.isEqual(expected, derive(password, salt, m, t, p, expected.length));
    }

    private static byte[] derive(char[] password, byte[] salt, int m, int t, int p, int length) {
        try {
            RUNNING.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to hash a password");
        }
        RUNNING_PEAK.accumulateAndGet(RUNNING_NOW.incrementAndGet(), Math::max);
        try {
            return deriveNow(password, salt, m, t, p, length);
        } finally {
            RUNNING_NOW.decrementAndGet();
            RUNNING.release();
        }
    }

    private static byte[] deriveNow(char[] password, byte[] salt, int m, int t, int p, int length) {
        var params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(m)
                .withIterations(t)
                .withParallelism(p)
                .withSalt(salt)
                .build();
        var gen = new Argon2BytesGenerator();
        gen.init(params);
        byte[] out = new byte[length];
        byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
        gen.generateBytes(pw, out);
        Arrays.fill(pw, (byte) 0);
        return out;
    }
}
