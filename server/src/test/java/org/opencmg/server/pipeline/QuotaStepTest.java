package org.opencmg.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencmg.api.Device;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.store.PublishedEndpoint;
import org.opencmg.server.store.Quota;
import org.opencmg.testkit.PluginTestContext.MutableClock;

/** The counting behind an endpoint's budgets: windows, who is refused with what, egress, warnings, bounded memory. */
class QuotaStepTest {

    static final PublishedEndpoint MP =
            Endpoints.published("/CCM_Proxy_MutualAuth/1/CCM_System", "https://mp/CCM_System");
    static final PublishedEndpoint OTHER =
            Endpoints.published("/CCM_Proxy_MutualAuth/1/CCM_Incoming", "https://mp/CCM_Incoming");
    static final Device RUNAWAY = new Device("AA11", "pki", "CN=runaway", Map.of());
    static final Device NEIGHBOUR = new Device("BB22", "pki", "CN=neighbour", Map.of());

    final MutableClock clock = at(Duration.ofHours(10).plusSeconds(20)); // 2026-01-01 10:00:20 UTC
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final QuotaStep quotas = new QuotaStep(clock, meters);

    static MutableClock at(Duration sinceNewYear) {
        var c = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        c.advance(sinceNewYear);
        return c;
    }

    static Quota quota(
            PublishedEndpoint e,
            String window,
            Long requests,
            Long egress,
            Long deviceRequests,
            Long deviceEgress,
            int warn) {
        return new Quota(
                e.endpoint().externalPath(),
                Quota.parseWindow(window),
                requests,
                egress,
                deviceRequests,
                deviceEgress,
                warn,
                Instant.EPOCH,
                "test");
    }

    @Test
    void aDevicePastItsBudgetIsRefusedUntilItsWindowEndsAndNobodyElseIs() {
        quotas.apply(List.of(quota(MP, "1m", null, null, 3L, null, 80)));
        for (int i = 0; i < 3; i++) {
            quotas.admit(MP, RUNAWAY);
        }
        assertThatThrownBy(() -> quotas.admit(MP, RUNAWAY)).isInstanceOfSatisfying(RequestRefused.class, r -> {
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.reason()).isEqualTo("device_quota_exceeded");
            assertThat(r.headers()).containsEntry("Retry-After", "40"); // 10:00:20, the window ends at 10:01:00
            assertThat(r.detail())
                    .contains("pki:AA11")
                    .contains("3 of 3 requests")
                    .contains("1m window");
        });
        quotas.admit(MP, NEIGHBOUR);
        quotas.admit(OTHER, RUNAWAY); // no budget there: not even counted
        assertThat(quotas.use(OTHER.endpoint().externalPath())).isEmpty();

        clock.advance(Duration.ofSeconds(40)); // the next window
        quotas.admit(MP, RUNAWAY);
        assertThat(quotas.use(MP.endpoint().externalPath()).orElseThrow().requests())
                .isEqualTo(1);
    }

    @Test
    void theEndpointsBudgetIsEveryDevicesAndARefusedRequestCountsForNothing() {
        quotas.apply(List.of(quota(MP, "1h", 5L, null, 3L, null, 80)));
        for (int i = 0; i < 3; i++) {
            quotas.admit(MP, RUNAWAY);
        }
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> quotas.admit(MP, RUNAWAY)).hasMessage("429 device_quota_exceeded");
        }
        quotas.admit(MP, NEIGHBOUR);
        quotas.admit(MP, NEIGHBOUR);
        assertThatThrownBy(() -> quotas.admit(MP, NEIGHBOUR)).isInstanceOfSatisfying(RequestRefused.class, r -> {
            assertThat(r.reason()).isEqualTo("quota_exceeded");
            assertThat(r.detail()).startsWith("5 of 5 requests");
            assertThat(r.headers()).containsEntry("Retry-After", Long.toString(3600 - 20));
        });
        var use = quotas.use(MP.endpoint().externalPath()).orElseThrow();
        assertThat(use.requests()).isEqualTo(5);
        assertThat(use.busiestDeviceRequests()).isEqualTo(3);
        assertThat(use.windowStart()).isEqualTo(Instant.parse("2026-01-01T10:00:00Z"));
        assertThat(use.windowEnd()).isEqualTo(Instant.parse("2026-01-01T11:00:00Z"));
    }

    @Test
    void egressIsCountedAsItIsSentAndRefusesTheNextRequestNotTheAnswerInFlight() {
        quotas.apply(List.of(quota(MP, "1d", null, 1000L, null, 300L, 80)));
        var first = quotas.admit(MP, RUNAWAY);
        first.countEgress(200);
        first.countEgress(200); // over the device's 300 while its answer streams: nothing is cut
        assertThatThrownBy(() -> quotas.admit(MP, RUNAWAY)).hasMessage("429 device_quota_exceeded");
        var other = quotas.admit(MP, NEIGHBOUR);
        other.countEgress(700);
        assertThatThrownBy(() -> quotas.admit(MP, NEIGHBOUR))
                .as("its own budget first")
                .hasMessage("429 device_quota_exceeded");
        var third = new Device("CC33", "pki", "CN=third", Map.of());
        assertThatThrownBy(() -> quotas.admit(MP, third)).isInstanceOfSatisfying(RequestRefused.class, r -> {
            assertThat(r.reason()).isEqualTo("quota_exceeded");
            assertThat(r.detail()).startsWith("1100 of 1000 egress bytes").contains("1d window");
        });
        var use = quotas.use(MP.endpoint().externalPath()).orElseThrow();
        assertThat(use.ratio(QuotaStep.Budget.EGRESS_BYTES)).isEqualTo(1.1);
        assertThat(use.ratio(QuotaStep.Budget.DEVICE_EGRESS_BYTES)).isEqualTo(700 / 300.0);
    }

    @Test
    void aBudgetWarnsOncePerWindowAtItsThresholdAndShowsItsUseRatio() {
        quotas.apply(List.of(quota(MP, "1m", 10L, null, null, null, 50)));
        for (int i = 0; i < 9; i++) {
            quotas.admit(MP, RUNAWAY);
        }
        assertThat(warnings("requests")).isEqualTo(1);
        assertThat(meters.get("cmg_quota_use_ratio")
                        .tag("budget", "requests")
                        .gauge()
                        .value())
                .isEqualTo(0.9);
        assertThat(meters.get("cmg_quota_warn_ratio").gauge().value()).isEqualTo(0.5);
        clock.advance(Duration.ofMinutes(1));
        assertThat(meters.get("cmg_quota_use_ratio")
                        .tag("budget", "requests")
                        .gauge()
                        .value())
                .isZero();
        for (int i = 0; i < 5; i++) {
            quotas.admit(MP, RUNAWAY);
        }
        assertThat(warnings("requests")).as("again in the next window").isEqualTo(2);

        quotas.apply(List.of()); // removed: its gauges go too
        assertThat(meters.find("cmg_quota_use_ratio").gauges()).isEmpty();
    }

    @Test
    void changingAQuotaKeepsWhatWasCountedInTheSameWindow() {
        quotas.apply(List.of(quota(MP, "1h", 10L, null, null, null, 80)));
        for (int i = 0; i < 4; i++) {
            quotas.admit(MP, RUNAWAY);
        }
        quotas.apply(List.of(quota(MP, "1h", 5L, null, null, null, 90)));
        quotas.admit(MP, RUNAWAY);
        assertThatThrownBy(() -> quotas.admit(MP, RUNAWAY)).hasMessage("429 quota_exceeded");
    }

    @Test
    void explainingARequestCountsNothing() {
        quotas.apply(List.of(quota(MP, "1h", null, null, 1L, null, 80)));
        assertThat(quotas.wouldRefuse(MP, RUNAWAY)).isEmpty();
        assertThat(quotas.wouldRefuse(MP, RUNAWAY)).isEmpty();
        quotas.admit(MP, RUNAWAY);
        assertThat(quotas.wouldRefuse(MP, RUNAWAY))
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo("device_quota_exceeded"));
        assertThat(quotas.wouldRefuse(MP, NEIGHBOUR)).isEmpty();
        assertThat(quotas.wouldRefuse(OTHER, RUNAWAY)).isEmpty();
    }

    /**
     * Millions of forged device names cannot grow the heap: the per-device counters are a bounded
     * cache that keeps the frequent ones, so a looping device is never pushed out by a flood of
     * one-off names and stays refused.
     */
    @Test
    void perDeviceCountersAreBoundedAndAFloodOfNamesDoesNotFreeALoopingDevice() {
        var bounded = new QuotaStep(clock, meters, 1_000);
        bounded.apply(List.of(quota(MP, "1h", null, null, 10L, null, 80)));
        for (int i = 0; i < 10; i++) {
            bounded.admit(MP, RUNAWAY);
        }
        int refused = 0;
        for (int i = 0; i < 50_000; i++) {
            bounded.admit(MP, new Device("forged-" + i, "token", "forged " + i, Map.of()));
            try {
                bounded.admit(MP, RUNAWAY);
            } catch (RequestRefused r) {
                refused++;
            }
        }
        assertThat(refused).isEqualTo(50_000);
        assertThat(bounded.trackedDevices()).isLessThanOrEqualTo(1_000);
    }

    @Test
    void windowsAndSizesAreReadAsAdministratorsWriteThem() {
        assertThat(Quota.parseWindow("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Quota.parseWindow("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Quota.parseWindow("1D")).isEqualTo(Duration.ofDays(1));
        assertThat(Quota.formatWindow(Duration.ofHours(24))).isEqualTo("1d");
        assertThat(Quota.formatWindow(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Quota.parseBytes("10GiB")).isEqualTo(10L << 30);
        assertThat(Quota.parseBytes("500MB")).isEqualTo(500_000_000L);
        assertThat(Quota.parseBytes("1234")).isEqualTo(1234L);
        assertThatThrownBy(() -> Quota.parseWindow("1y")).hasMessageContaining("s, m, h or d");
        assertThatThrownBy(() -> Quota.parseBytes("lots")).hasMessageContaining("KiB");
        assertThatThrownBy(() -> quota(MP, "5s", 1L, null, null, null, 80)).hasMessageContaining("10s to 31d");
        assertThatThrownBy(() -> quota(MP, "1h", null, null, null, null, 80))
                .hasMessageContaining("at least one budget");
        assertThatThrownBy(() -> quota(MP, "1h", 1L, null, null, null, 0)).hasMessageContaining("warn_percent");
        assertThatThrownBy(() -> quota(MP, "1h", -1L, null, null, null, 80)).hasMessageContaining("0 or more");
    }

    private double warnings(String budget) {
        return meters.get("cmg_quota_warnings").tag("budget", budget).counter().count();
    }
}
