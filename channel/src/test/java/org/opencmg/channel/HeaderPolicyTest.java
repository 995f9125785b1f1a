package org.opencmg.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

class HeaderPolicyTest {

    final List<String> dropped = new ArrayList<>();
    final HeaderPolicy mp =
            HeaderPolicy.of(Set.of("CCMClientID", "CCMClientIDSignature", "BITS-Packet-Type", "Depth"), dropped::add);

    static HttpFields fields(String... nameValues) {
        var f = HttpFields.build();
        for (int i = 0; i < nameValues.length; i += 2) {
            f.add(nameValues[i], nameValues[i + 1]);
        }
        return f;
    }

    static List<String> names(List<HttpField> fields) {
        return fields.stream().map(HttpField::getName).toList();
    }

    @Test
    void theStandardEntityAndConditionalHeadersPassForEveryEndpoint() {
        var sent = fields(
                "Accept",
                "*/*",
                "Accept-Encoding",
                "gzip",
                "Cache-Control",
                "no-cache",
                "Content-Type",
                "text/xml",
                "Content-Length",
                "12",
                "Content-Range",
                "bytes 0-11/12",
                "If-None-Match",
                "\"x\"",
                "If-Modified-Since",
                "Sun, 06 Nov 1994 08:49:37 GMT",
                "Range",
                "bytes=0-99",
                "Pragma",
                "no-cache",
                "User-Agent",
                "ccmsetup",
                "Date",
                "Sun, 06 Nov 1994 08:49:37 GMT");

        assertThat(names(HeaderPolicy.STANDARD_ONLY.fromDevice(sent, false))).hasSize(sent.size());
        assertThat(names(mp.fromDevice(sent, false))).hasSize(sent.size());
        assertThat(dropped).isEmpty();
    }

    @Test
    void aRoleDeclaredHeaderPassesOnlyForThatRolesEndpointsWhateverItsCase() {
        var sent = fields("ccmclientid", "GUID:1", "CCMCLIENTIDSIGNATURE", "0A1B", "BITS-Packet-Type", "Ping");

        assertThat(names(mp.fromDevice(sent, false)))
                .containsExactly("ccmclientid", "CCMCLIENTIDSIGNATURE", "BITS-Packet-Type");
        assertThat(mp.roleHeaders())
                .containsExactly("bits-packet-type", "ccmclientid", "ccmclientidsignature", "depth");

        var sup = HeaderPolicy.of(Set.of("SOAPAction"), dropped::add);
        assertThat(sup.fromDevice(sent, false)).isEmpty();
        assertThat(dropped).containsExactly("ccmclientid", "ccmclientidsignature", "bits-packet-type");
    }

    @Test
    void anUnknownHeaderIsDroppedAndReportedByItsLowerCaseNameNeverItsValue() {
        var sent = fields(
                "X-Custom-Unknown",
                "secret-value",
                "Cookie",
                "session=1",
                "X-Forwarded-For",
                "10.0.0.1",
                "Accept",
                "*/*");

        assertThat(names(mp.fromDevice(sent, false))).containsExactly("Accept");
        assertThat(dropped).containsExactly("x-custom-unknown", "cookie", "x-forwarded-for");
    }

    @Test
    void theDevicesConnectionHeadersAreDroppedWithoutBeingCounted() {
        var sent = fields(
                "Host",
                "cmg.example",
                "Connection",
                "keep-alive",
                "Keep-Alive",
                "timeout=5",
                "TE",
                "trailers",
                "Transfer-Encoding",
                "chunked",
                "Upgrade",
                "h2c",
                "Expect",
                "100-continue");

        assertThat(mp.fromDevice(sent, false)).isEmpty();
        assertThat(dropped).isEmpty();
        assertThat(mp.wouldDrop(sent, false)).isEmpty();
    }

    @Test
    void aWebSocketHandshakesHeadersAreTheGatewaysAndNotCountedAsDropped() {
        var sent = fields(
                "Upgrade",
                "websocket",
                "Connection",
                "Upgrade",
                "Sec-WebSocket-Key",
                "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version",
                "13",
                "Sec-WebSocket-Protocol",
                "notify",
                "Sec-WebSocket-Extensions",
                "permessage-deflate");

        assertThat(mp.fromDevice(sent, false)).isEmpty();
        assertThat(dropped).isEmpty();
    }

    @Test
    void theGatewaysOwnHeadersAreNeverTakenFromADeviceNorDeclarable() {
        var policy = HeaderPolicy.of(
                Set.of(
                        "X-OpenCMG-Device-Id",
                        "Authorization",
                        "Host",
                        "Connection",
                        "Proxy-Authorization",
                        "bad name",
                        "SOAPAction"),
                dropped::add);
        assertThat(policy.roleHeaders()).containsExactly("soapaction");
        assertThat(HeaderPolicy.undeclarable(Set.of("X-OpenCMG-Device-Id", "SOAPAction")))
                .containsExactly("x-opencmg-device-id");

        var sent = fields("X-OpenCMG-Device-Id", "forged", "x-opencmg-auth-method", "pki", "SOAPAction", "\"urn:x\"");
        assertThat(names(policy.fromDevice(sent, false))).containsExactly("SOAPAction");
        assertThat(dropped).containsExactly("x-opencmg-device-id", "x-opencmg-auth-method");
    }

    @Test
    void authorizationPassesOnlyAsTheBearerTokenOfATokenOrEntraDevice() {
        var bearer = fields("Authorization", "Bearer eyJ.x.y");
        var basic = fields("Authorization", "Basic Zm9vOmJhcg==");
        var ntlm = fields("Authorization", "NTLM TlRMTVNTUAAB");

        assertThat(mp.fromDevice(bearer, true)).hasSize(1);
        assertThat(mp.fromDevice(bearer, false)).isEmpty();
        assertThat(mp.fromDevice(basic, true)).isEmpty();
        assertThat(mp.fromDevice(ntlm, true)).isEmpty();
        assertThat(dropped).containsExactly("authorization", "authorization", "authorization");
    }

    @Test
    void explainSaysWhatWouldBeDroppedWithoutCountingIt() {
        var sent = fields("X-Foo", "1", "x-foo", "2", "CCMClientID", "GUID:1", "SOAPAction", "x", "Host", "h");

        assertThat(mp.wouldDrop(sent, false)).containsExactly("soapaction", "x-foo");
        assertThat(dropped).isEmpty();
    }

    @Test
    void aPolicyWithoutASinkCountsNothing() {
        assertThat(HeaderPolicy.of(null, null).fromDevice(fields("X-Foo", "1"), false))
                .isEmpty();
        assertThat(HeaderPolicy.STANDARD_ONLY.roleHeaders()).isEmpty();
    }
}
