package org.opencmg.connectionpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class InternalAllowListTest {

    private final InternalAllowList list = InternalAllowList.of(
            List.of("https://MP.corp.example/CCM_System/", "https://wsus.corp.example:8531/ClientWebService"));

    @Test
    void allowsATargetAtOrBelowABaseOnTheSameSchemeHostAndPort() {
        assertThat(list.allows(URI.create("https://mp.corp.example/ccm_system/request?x=1")))
                .isTrue();
        assertThat(list.allows(URI.create("https://mp.corp.example:443/CCM_System/")))
                .isTrue();
        assertThat(list.allows(URI.create("https://wsus.corp.example:8531/ClientWebService")))
                .isTrue();
        assertThat(list.allows(URI.create("https://wsus.corp.example:8531/ClientWebService/client.asmx")))
                .isTrue();
    }

    @Test
    void refusesAnotherHostPortSchemeOrPath() {
        assertThat(list.allows(URI.create("https://10.0.0.5:5986/wsman"))).isFalse();
        assertThat(list.allows(URI.create("http://mp.corp.example/CCM_System/request")))
                .isFalse();
        assertThat(list.allows(URI.create("https://mp.corp.example:8443/CCM_System/request")))
                .isFalse();
        assertThat(list.allows(URI.create("https://mp.corp.example/SMS_MP/.sms_aut")))
                .isFalse();
        assertThat(list.allows(URI.create("https://wsus.corp.example:8531/ClientWebServiceX/a")))
                .as("whole segments only")
                .isFalse();
        assertThat(list.allows(URI.create("https://user@mp.corp.example/CCM_System/x")))
                .isFalse();
    }

    @Test
    void showsTheClientCertificateOnlyToHttpsServersOnTheList() {
        assertThat(list.presentsCertificateTo("mp.corp.example", 443)).isTrue();
        assertThat(list.presentsCertificateTo("wsus.corp.example", 8531)).isTrue();
        assertThat(list.presentsCertificateTo("wsus.corp.example", 443)).isFalse();
        assertThat(list.presentsCertificateTo("evil.example", 443)).isFalse();
        assertThat(list.presentsCertificateTo(null, 443)).isFalse();
    }

    @Test
    void withoutAListEverythingTheGatewayMapsIsFollowed() {
        assertThat(InternalAllowList.of(null).restricts()).isFalse();
        assertThat(InternalAllowList.of(List.of()).allows(URI.create("https://10.0.0.5:5986/wsman")))
                .isTrue();
        assertThat(InternalAllowList.of(List.of()).presentsCertificateTo("anything", 1))
                .isTrue();
    }

    @Test
    void aMalformedEntryStopsTheStartNamingIt() {
        assertThatThrownBy(() -> InternalAllowList.of(List.of("ftp://mp/"))).hasMessageContaining("ftp://mp/");
        assertThatThrownBy(() -> InternalAllowList.of(List.of("https://mp/x?y=1")))
                .hasMessageContaining("no query");
    }
}
