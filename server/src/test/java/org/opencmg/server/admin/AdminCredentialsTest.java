package org.opencmg.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.AdminUsers;
import org.opencmg.server.store.Database;

/** Password checks against a real H2 file: throttled like the console, the same cost for unknown names. */
class AdminCredentialsTest {

    private static final String PASSWORD = "correct horse battery staple";

    @TempDir
    Path dir;

    Database database;
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AdminCredentials credentials;

    @BeforeEach
    void open() {
        database =
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 4));
        var jdbc = new Jdbc(database.dataSource());
        var users = new AdminUsers(jdbc);
        users.put(
                "admin",
                PasswordHasher.hash(PASSWORD.toCharArray()),
                Clock.systemUTC().instant());
        credentials =
                new AdminCredentials(users, Clock.systemUTC(), new LoginThrottle(jdbc, Clock.systemUTC()), meters);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private double hashChecks() {
        return meters.counter("cmg_admin_password_checks").count();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theRightPasswordIsAccepted() {
        assertThat(credentials.checkBasic(basic("admin", PASSWORD), "127.0.0.1").user())
                .isEqualTo("admin");
    }

    @Test
    void anUnknownUserCostsOneHashLikeAKnownOne() {
        var known = credentials.signIn("admin", "wrong".toCharArray(), "127.0.0.1");
        assertThat(hashChecks()).isEqualTo(1);
        var unknown = credentials.signIn("nobody", "wrong".toCharArray(), "127.0.0.2");
        assertThat(hashChecks())
                .as("the unknown name is hashed against a dummy hash")
                .isEqualTo(2);
        assertThat(unknown).isEqualTo(known);
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(unknown.reason()).isEqualTo("bad_credentials");
    }

    @Test
    void anAttemptInsideTheDelayIsRefusedWithoutHashing() {
        credentials.checkBasic(basic("admin", "wrong"), "127.0.0.1");
        var early = credentials.checkBasic(basic("admin", PASSWORD), "127.0.0.1");
        assertThat(early.status()).isEqualTo(429);
        assertThat(early.reason()).isEqualTo("login_throttled");
        assertThat(early.retryAfterSeconds()).isEqualTo(1);
        assertThat(hashChecks()).isEqualTo(1);
    }

    @Test
    void insideTheDelayEvenARememberedRightPasswordIsRefused() {
        assertThat(credentials.checkBasic(basic("admin", PASSWORD), "127.0.0.1").isAccepted())
                .isTrue();
        credentials.checkBasic(basic("admin", "guess"), "127.0.0.2");
        var right = credentials.checkBasic(basic("admin", PASSWORD), "127.0.0.1");
        assertThat(right.status())
                .as("a quick answer to the right guess would reveal it")
                .isEqualTo(429);
        assertThat(hashChecks()).isEqualTo(2);
    }

    @Test
    void userNamesLongerThan128CharactersAreRefusedUnhashed() {
        var login = credentials.checkBasic(basic("a".repeat(129), "x"), "127.0.0.1");
        assertThat(login.status()).isEqualTo(400);
        assertThat(login.reason()).isEqualTo("user_name_too_long");
        assertThat(hashChecks()).isZero();
        assertThat(credentials
                        .checkBasic(basic("a".repeat(128), "x"), "127.0.0.1")
                        .status())
                .isEqualTo(401);
    }

    @Test
    void sixtySimultaneousWrongAttemptsCostOneHash() throws Exception {
        var start = new CountDownLatch(1);
        var futures = new ArrayList<Future<AdminCredentials.Login>>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 60; i++) {
                String guess = "guess " + i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return credentials.checkBasic(basic("admin", guess), "127.0.0.1");
                }));
            }
            start.countDown();
            int throttled = 0;
            for (var f : futures) {
                throttled += f.get().status() == 429 ? 1 : 0;
            }
            assertThat(throttled).isEqualTo(59);
        }
        assertThat(hashChecks()).isEqualTo(1);
    }
}
