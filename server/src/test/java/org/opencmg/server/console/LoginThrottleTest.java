package org.opencmg.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    private final MutableClock clock = new MutableClock();
    private final LoginThrottle throttle = new LoginThrottle(clock);

    @Test
    void theFirstAttemptNeverWaits() {
        assertThat(throttle.wait("admin", "10.0.0.1")).isZero();
    }

    @Test
    void theDelayDoublesFromOneSecondAfterEachFailure() {
        assertThat(throttle.failed("admin", "10.0.0.1")).hasSeconds(1);
        assertThat(throttle.wait("admin", "10.0.0.1")).hasSeconds(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(throttle.wait("admin", "10.0.0.1")).isZero();
        assertThat(throttle.failed("admin", "10.0.0.1")).hasSeconds(2);
        clock.advance(Duration.ofSeconds(2));
        assertThat(throttle.failed("admin", "10.0.0.1")).hasSeconds(4);
        assertThat(throttle.wait("admin", "10.0.0.1")).hasSeconds(4);
    }

    @Test
    void theDelayStopsGrowingAtTheCap() {
        for (int i = 0; i < 20; i++) {
            throttle.failed("admin", "10.0.0.1");
        }
        assertThat(throttle.wait("admin", "10.0.0.1")).isEqualTo(LoginThrottle.CAP);
        assertThat(LoginThrottle.delay(100)).isEqualTo(LoginThrottle.CAP);
    }

    @Test
    void failuresCountPerUserNameFromAnyAddress() {
        throttle.failed("admin", "10.0.0.1");
        throttle.failed("Admin", "10.0.0.2");
        assertThat(throttle.wait("admin", "10.0.0.3")).as("the user name is throttled wherever the guess comes from").hasSeconds(2);
    }

    @Test
    void failuresCountPerAddressForAnyUserName() {
        throttle.failed("alice", "10.0.0.1");
        throttle.failed("bob", "10.0.0.1");
        assertThat(throttle.wait("carol", "10.0.0.1")).as("one address guessing many names is throttled").hasSeconds(2);
        assertThat(throttle.wait("carol", "10.0.0.9")).isZero();
    }

    @Test
    void aSuccessResetsTheDelay() {
        throttle.failed("admin", "10.0.0.1");
        throttle.failed("admin", "10.0.0.1");
        clock.advance(Duration.ofSeconds(2));
        throttle.succeeded("admin", "10.0.0.1");
        assertThat(throttle.failed("admin", "10.0.0.1")).hasSeconds(1);
    }
}
