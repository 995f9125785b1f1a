package org.opencmg.channel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {

    @Test
    void theConnectionPointPassesOnWhatTheGatewayChoseARoleDeclaredHeaderIncluded() {
        assertThat(ForwardedHeaders.toSite("CCMClientID")).isTrue();
        assertThat(ForwardedHeaders.toSite("SOAPAction")).isTrue();
        assertThat(ForwardedHeaders.toSite("X-Some-Role-Header")).isTrue();
        assertThat(ForwardedHeaders.toSite("Authorization")).isTrue();
        assertThat(ForwardedHeaders.toSite(ForwardedHeaders.DEVICE_ID)).isTrue();
        assertThat(ForwardedHeaders.toSite("Range")).isTrue();
        assertThat(ForwardedHeaders.toSite("Date")).isTrue();
    }

    @Test
    void theConnectionPointStillDropsHopByHopHeaders() {
        for (String h : new String[] {
            "Connection",
            "Keep-Alive",
            "Proxy-Connection",
            "TE",
            "Trailer",
            "Transfer-Encoding",
            "Upgrade",
            "Proxy-Authorization",
            "Host",
            ":authority"
        }) {
            assertThat(ForwardedHeaders.toSite(h)).as(h).isFalse();
        }
    }

    @Test
    void theDeviceGetsNoHopByHopNorServerIdentityNorTheGatewaysOwnHeaders() {
        assertThat(ForwardedHeaders.toDevice("Content-Type")).isTrue();
        assertThat(ForwardedHeaders.toDevice("Set-Cookie")).isTrue();
        for (String h : new String[] {
            "Connection",
            "Transfer-Encoding",
            "Server",
            "X-Powered-By",
            "X-AspNet-Version",
            "Date",
            "X-OpenCMG-Refusal",
            ":status"
        }) {
            assertThat(ForwardedHeaders.toDevice(h)).as(h).isFalse();
        }
    }
}
