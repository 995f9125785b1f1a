package org.opencmg.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.store.Database;
import org.opencmg.testkit.PluginTestContext.MutableClock;

/** The throttle on a real H2 store; two {@link LoginThrottle}s on one store are two instances sharing it. */
class LoginThrottleTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @TempDir
    Path dir;

    private Database database;
    private Jdbc jdbc;
    private LoginThrottle throttle;

    @BeforeEach
    void open() {
        database =
                Database.open(new GatewayConfig.Database("jdbc:h2:file:" + dir.resolve("cmg"), "cmg", null, null, 8));
        jdbc = new Jdbc(database.dataSource());
        throttle = new LoginThrottle(jdbc, clock);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void failuresCountedByOneInstanceDelayAttemptsOnAnother() {
        var other = new LoginThrottle(jdbc, clock);
        assertThat(throttle.attempt("admin", "10.0.0.1").admitted()).isTrue();
        assertThat(other.attempt("admin", "10.0.0.1"))
                .isEqualTo(new LoginThrottle.Attempt(false, Duration.ofSeconds(1)));
        clock.advance(Duration.ofSeconds(1));
        assertThat(other.attempt("admin", "10.0.0.1").delay())
                .as("the second failure, wherever it was made")
                .hasSeconds(2);
        other.succeeded("admin", "10.0.0.1");
        assertThat(throttle.attempt("admin", "10.0.0.1"))
                .isEqualTo(new LoginThrottle.Attempt(true, Duration.ofSeconds(1)));
    }

    @Test
    void theFirstAttemptIsAdmitted() {
        var first = throttle.attempt("admin", "10.0.0.1");
        assertThat(first.admitted()).isTrue();
        assertThat(first.delay())
                .as("what the next attempt waits if this one fails")
                .hasSeconds(1);
    }

    @Test
    void theDelayDoublesFromOneSecondAfterEachFailure() {
        assertThat(throttle.attempt("admin", "10.0.0.1").admitted()).isTrue();
        var early = throttle.attempt("admin", "10.0.0.1");
        assertThat(early.admitted()).isFalse();
        assertThat(early.delay()).hasSeconds(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(throttle.attempt("admin", "10.0.0.1").delay()).hasSeconds(2);
        clock.advance(Duration.ofSeconds(2));
        assertThat(throttle.attempt("admin", "10.0.0.1").delay()).hasSeconds(4);
        assertThat(throttle.attempt("admin", "10.0.0.1"))
                .isEqualTo(new LoginThrottle.Attempt(false, Duration.ofSeconds(4)));
    }

    @Test
    void theDelayStopsGrowingAtTheCap() {
        for (int i = 0; i < 20; i++) {
            throttle.attempt("admin", "10.0.0.1");
            clock.advance(LoginThrottle.CAP);
        }
        assertThat(throttle.attempt("admin", "10.0.0.1").delay()).isEqualTo(LoginThrottle.CAP);
        assertThat(throttle.attempt("admin", "10.0.0.1").delay()).isEqualTo(LoginThrottle.CAP);
        assertThat(LoginThrottle.delay(100)).isEqualTo(LoginThrottle.CAP);
    }

    @Test
    void failuresCountPerUserNameFromAnyAddress() {
        throttle.attempt("admin", "10.0.0.1");
        clock.advance(Duration.ofSeconds(1));
        throttle.attempt("Admin", "10.0.0.2");
        assertThat(throttle.attempt("admin", "10.0.0.3"))
                .as("the user name is throttled wherever the guess comes from")
                .isEqualTo(new LoginThrottle.Attempt(false, Duration.ofSeconds(2)));
    }

    @Test
    void failuresCountPerAddressForAnyUserName() {
        throttle.attempt("alice", "10.0.0.1");
        clock.advance(Duration.ofSeconds(1));
        throttle.attempt("bob", "10.0.0.1");
        assertThat(throttle.attempt("carol", "10.0.0.1"))
                .as("one address guessing many names is throttled")
                .isEqualTo(new LoginThrottle.Attempt(false, Duration.ofSeconds(2)));
        assertThat(throttle.attempt("carol", "10.0.0.9").admitted()).isTrue();
    }

    @Test
    void aSuccessResetsTheDelay() {
        throttle.attempt("admin", "10.0.0.1");
        clock.advance(Duration.ofSeconds(1));
        throttle.attempt("admin", "10.0.0.1");
        throttle.succeeded("admin", "10.0.0.1");
        assertThat(throttle.attempt("admin", "10.0.0.1"))
                .isEqualTo(new LoginThrottle.Attempt(true, Duration.ofSeconds(1)));
    }

    @Test
    void ofSixtySimultaneousAttemptsOnTwoInstancesOneIsAdmitted() throws Exception {
        var other = new LoginThrottle(jdbc, clock);
        var start = new CountDownLatch(1);
        var admitted = new AtomicInteger();
        var futures = new ArrayList<java.util.concurrent.Future<?>>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 60; i++) {
                var instance = i % 2 == 0 ? throttle : other;
                futures.add(pool.submit(() -> {
                    start.await();
                    if (instance.attempt("admin", "10.0.0.1").admitted()) {
                        admitted.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (var f : futures) {
                f.get();
            }
        }
        assertThat(admitted)
                .as("the attempt is reserved before the password is checked")
                .hasValue(1);
    }

    @Test
    void failuresAreForgottenFourCapsAfterTheLast() {
        throttle.attempt("admin", "10.0.0.1");
        clock.advance(Duration.ofSeconds(1));
        throttle.attempt("admin", "10.0.0.1");
        clock.advance(LoginThrottle.CAP.multipliedBy(4));
        assertThat(throttle.attempt("admin", "10.0.0.1").delay())
                .as("counted from one again")
                .hasSeconds(1);
    }

    @Test
    void theTableIsBoundedWhateverTheNamesAndAddresses() {
        var small = new LoginThrottle(jdbc, clock, 50, Duration.ZERO);
        String longName = "x".repeat(1_000);
        for (int i = 0; i < 100; i++) {
            small.attempt(longName + i, "127.0." + (i >> 8 & 255) + "." + (i & 255) + "%" + "z".repeat(500));
            clock.advance(Duration.ofMillis(10));
        }
        assertThat(small.size()).isLessThanOrEqualTo(50);
        clock.advance(LoginThrottle.CAP.multipliedBy(4));
        small.attempt("admin", "10.0.0.1");
        assertThat(small.size()).as("rows four caps old are forgotten").isEqualTo(2);
    }

    @Test
    void userKeysAreShortAndIgnoreCase() {
        assertThat(LoginThrottle.userKey(" Admin ")).isEqualTo(LoginThrottle.userKey("admin"));
        assertThat(LoginThrottle.userKey("y".repeat(2_000_000))).hasSize(34).doesNotContain("y");
    }
}
