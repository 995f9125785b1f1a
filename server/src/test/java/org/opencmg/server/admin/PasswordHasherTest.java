package org.opencmg.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PasswordHasherTest {

    private static final char[] PASSWORD = "correct horse battery staple".toCharArray();
    private static final String HASH = PasswordHasher.hash(PASSWORD);

    @Test
    void hashVerifiesWithThePassword() {
        assertThat(PasswordHasher.verify(PASSWORD, HASH)).isTrue();
    }

    @Test
    void wrongPasswordFails() {
        assertThat(PasswordHasher.verify("correct horse battery stapl".toCharArray(), HASH))
                .isFalse();
        assertThat(PasswordHasher.verify("".toCharArray(), HASH)).isFalse();
    }

    @Test
    void twoHashesOfOnePasswordDifferBecauseOfTheSalt() {
        String other = PasswordHasher.hash(PASSWORD);

        assertThat(other).isNotEqualTo(HASH);
        assertThat(other.split("\\$")[4]).isNotEqualTo(HASH.split("\\$")[4]);
        assertThat(PasswordHasher.verify(PASSWORD, other)).isTrue();
    }

    @Test
    void usesThePhcStringFormatOfArgon2idAtTheOwaspMinimumCost() {
        assertThat(HASH).matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    }

    @Test
    void verifiesNonAsciiPasswords() {
        char[] password = "p\u00e4ssw\u00f6rd \ud83d\udd11".toCharArray();

        String hash = PasswordHasher.hash(password);

        assertThat(PasswordHasher.verify(password, hash)).isTrue();
        assertThat(PasswordHasher.verify("passwort \ud83d\udd11".toCharArray(), hash))
                .isFalse();
    }

    @Test
    void tamperedCostParameterFailsVerification() {
        // The cost is read from the stored string, so changing it must change the result.
        String tampered = HASH.replace("t=2", "t=3");

        assertThat(PasswordHasher.verify(PASSWORD, tampered)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "garbage",
                "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA",
                "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
                "$argon2id$v=19$m=19456,t=2,p=1$onlysalt"
            })
    void garbageDoesNotVerify(String stored) {
        assertThat(PasswordHasher.verify(PASSWORD, stored)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "$argon2id$v=19$m=x,t=2,p=1$c2FsdA$aGFzaA",
                "$argon2id$v=19$m,t=2,p=1$c2FsdA$aGFzaA",
                "$argon2id$v=19$m=19456,t=2,p=1$!!!$###"
            })
    void malformedPhcStringDoesNotVerify(String stored) {
        assertThat(PasswordHasher.verify(PASSWORD, stored)).isFalse();
    }

    @Test
    void atMostABoundedNumberOfEvaluationsRunAtOnce() throws Exception {
        int threads = PasswordHasher.MAX_CONCURRENT * 3;
        var start = new java.util.concurrent.CountDownLatch(1);
        var futures = new java.util.ArrayList<java.util.concurrent.Future<Boolean>>();
        // Platform threads: virtual ones would be limited by the few carrier threads anyway.
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return PasswordHasher.verify(PASSWORD, HASH);
                }));
            }
            start.countDown();
            for (var f : futures) {
                assertThat(f.get()).isTrue();
            }
        }
        assertThat(PasswordHasher.peakConcurrent()).as("each holds 19 MiB").isBetween(1, PasswordHasher.MAX_CONCURRENT);
    }
}
