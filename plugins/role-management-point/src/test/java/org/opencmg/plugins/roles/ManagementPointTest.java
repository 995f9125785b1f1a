package org.opencmg.plugins.roles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opencmg.api.Endpoint;

class ManagementPointTest {

    final ManagementPoint mp = new ManagementPoint();

    @Test
    void certificateDevicesGetTheMutualAuthFamily() {
        var endpoints = mp.endpoints("72057594037927939", "https://mp1.corp.example");
        assertThat(endpoints)
                .filteredOn(e -> e.externalPath().startsWith("/CCM_Proxy_MutualAuth/72057594037927939/"))
                .extracting(Endpoint::externalPath)
                .contains(
                        "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System",
                        "/CCM_Proxy_MutualAuth/72057594037927939/SMS_MP",
                        "/CCM_Proxy_MutualAuth/72057594037927939/CCM_Incoming");
        assertThat(endpoints)
                .filteredOn(e -> e.externalPath().contains("MutualAuth"))
                .allSatisfy(e -> assertThat(e.authMethods()).containsExactly("pki"));
    }

    @Test
    void tokenDevicesGetTheServerAuthFamily() {
        var endpoints = mp.endpoints("981", "https://mp1.corp.example");
        assertThat(endpoints)
                .filteredOn(e -> e.externalPath().startsWith("/CCM_Proxy_ServerAuth/981/"))
                .extracting(Endpoint::externalPath)
                .contains("/CCM_Proxy_ServerAuth/981/ccm_system_tokenauth", "/CCM_Proxy_ServerAuth/981/CCM_Client");
        assertThat(endpoints)
                .filteredOn(e -> e.externalPath().contains("ServerAuth"))
                .allSatisfy(e -> assertThat(e.authMethods()).containsExactly("token"));
    }

    @Test
    void eachExternalPathMapsToTheSameVirtualDirectoryOnTheManagementPoint() {
        assertThat(mp.endpoints("981", "https://mp1.corp.example"))
                .filteredOn(e -> !e.heldByGateway())
                .allSatisfy(e -> assertThat(e.internalUrl())
                        .isEqualTo("https://mp1.corp.example"
                                + e.externalPath().substring(e.externalPath().indexOf("/", 22))));
    }

    @Test
    void clientNotificationIsHeldByTheGatewayUnderBothFamiliesNeverForwarded() {
        assertThat(mp.endpoints("981", "https://mp1.corp.example"))
                .filteredOn(Endpoint::heldByGateway)
                .extracting(Endpoint::externalPath, Endpoint::authMethods, Endpoint::methods, Endpoint::maxRequestBytes)
                .containsExactly(
                        tuple("/CCM_Proxy_MutualAuth/981/CCM_Notification", Set.of("pki"), Set.of("GET"), 0L),
                        tuple("/CCM_Proxy_ServerAuth/981/CCM_Notification", Set.of("token"), Set.of("GET"), 0L));
    }

    @Test
    void uploadsMayBeLargerThanMessagesAndCustomVerbsPass() {
        var incoming = mp.endpoints("1", "https://mp").stream()
                .filter(e -> e.name().equals("ccm_incoming"))
                .findFirst()
                .orElseThrow();
        assertThat(incoming.methods()).contains("BITS_POST", "CCM_POST", "HEAD", "PUT");
        assertThat(incoming.maxRequestBytes())
                .isGreaterThan(mp.endpoints("1", "https://mp").getFirst().maxRequestBytes());
    }

    @Test
    void itDeclaresTheHeadersItsServersReadBeyondTheStandardOnes() {
        assertThat(mp.requestHeaders())
                .contains(
                        "CCMClientID",
                        "CCMClientIDSignature",
                        "CCMClientTimestamp",
                        "CCMClientTimestampSignature",
                        "CCMClientTimestampsSignature",
                        "BITS-Packet-Type",
                        "BITS-Session-Id",
                        "Content-Name",
                        "Depth",
                        "Translate");
        assertThat(mp.requestHeaders())
                .as("nothing the gateway owns or the connection consumes")
                .noneMatch(h -> h.equalsIgnoreCase("Authorization")
                        || h.equalsIgnoreCase("Host")
                        || h.toLowerCase(java.util.Locale.ROOT).startsWith("x-opencmg-"));
    }
}
