package org.opencmg.plugins.roles;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.opencmg.api.Endpoint;

class SoftwareUpdatePointTest {

    @Test
    void theWsusEndpointsArePublishedUnderBothFamiliesWithHeadAndGetForContent() {
        var endpoints = new SoftwareUpdatePoint().endpoints("72057594037927940", "https://sup.corp.example:8531");
        assertThat(endpoints)
                .extracting(Endpoint::externalPath)
                .contains(
                        "/CCM_Proxy_MutualAuth/72057594037927940/ClientWebService",
                        "/CCM_Proxy_ServerAuth/72057594037927940/ClientWebService",
                        "/CCM_Proxy_MutualAuth/72057594037927940/SimpleAuthWebService",
                        "/CCM_Proxy_MutualAuth/72057594037927940/ReportingWebService",
                        "/CCM_Proxy_MutualAuth/72057594037927940/Content",
                        "/CCM_Proxy_ServerAuth/72057594037927940/SelfUpdate");
        var content = endpoints.stream()
                .filter(e -> e.externalPath().endsWith("MutualAuth/72057594037927940/Content"))
                .findFirst()
                .orElseThrow();
        assertThat(content.methods()).containsExactlyInAnyOrder("GET", "HEAD");
        assertThat(content.internalUrl()).isEqualTo("https://sup.corp.example:8531/Content");
        assertThat(content.maxRequestBytes()).isZero();
    }

    @Test
    void itDeclaresSoapActionForItsWebServices() {
        assertThat(new SoftwareUpdatePoint().requestHeaders()).containsExactly("SOAPAction");
    }
}
