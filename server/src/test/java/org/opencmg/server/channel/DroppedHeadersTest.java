package org.opencmg.server.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;
import org.opencmg.channel.HeaderPolicy;

class DroppedHeadersTest {

    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final DroppedHeaders dropped = new DroppedHeaders(meters);

    double counted(String header) {
        var c = meters.find("cmg_request_headers_dropped").tag("header", header).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void eachDroppedHeaderIsCountedByItsLowerCaseName() {
        var policy = HeaderPolicy.of(Set.of("CCMClientID"), dropped);
        policy.fromDevice(
                HttpFields.build()
                        .add("X-Foo", "1")
                        .add("CCMClientID", "GUID:1")
                        .add("Cookie", "a=b"),
                false);
        policy.fromDevice(HttpFields.build().add("x-foo", "value never counted"), false);

        assertThat(counted("x-foo")).isEqualTo(2);
        assertThat(counted("cookie")).isEqualTo(1);
        assertThat(counted("ccmclientid")).isZero();
        assertThat(dropped.counts())
                .containsExactly(java.util.Map.entry("x-foo", 2L), java.util.Map.entry("cookie", 1L));
    }

    @Test
    void atMostAHundredNamesAreCountedByNameTheRestUnderOther() {
        for (int i = 0; i < 250; i++) {
            dropped.dropped("x-flood-" + i);
        }
        dropped.dropped("x-flood-0");
        dropped.dropped("x-" + "a".repeat(100));
        dropped.dropped("OTHER");

        assertThat(meters.find("cmg_request_headers_dropped").counters()).hasSize(DroppedHeaders.MAX_NAMES + 1);
        assertThat(counted("x-flood-0")).isEqualTo(2);
        assertThat(counted("other")).isEqualTo(150 + 2);
        assertThat(dropped.counts()).hasSize(DroppedHeaders.MAX_NAMES + 1).containsEntry("other", 152L);
        assertThat(dropped.counts().keySet().iterator().next())
                .as("largest first")
                .isEqualTo("other");
    }

    @Test
    void nothingDroppedNothingReported() {
        assertThat(dropped.counts()).isEmpty();
    }
}
