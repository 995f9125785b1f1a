package org.opencmg.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opencmg.server.store.PublishedEndpoint;

class EndpointRequestTest {

    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
    private static final String PATH = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";
    private static final String URL = "https://mp.corp.example/CCM_System";

    private static EndpointRequest request(String externalPath, String internalUrl, String site) {
        return new EndpointRequest(externalPath, internalUrl, site, null, null, null, null);
    }

    private static PublishedEndpoint valid(EndpointRequest r) {
        return r.validate("alice", NOW);
    }

    @Test
    void acceptsAConfigMgrMapping() {
        PublishedEndpoint p = valid(request(PATH, URL, "PS1"));

        assertThat(p.endpoint().externalPath()).isEqualTo(PATH);
        assertThat(p.endpoint().internalUrl()).isEqualTo(URL);
        assertThat(p.site()).isEqualTo("PS1");
        assertThat(p.publishedBy()).isEqualTo("alice");
        assertThat(p.publishedAt()).isEqualTo(NOW);
        assertThat(p.roleKind()).isNull();
        assertThat(p.roleId()).isNull();
    }

    @Test
    void defaultsMethodsAuthAndSizeAndName() {
        PublishedEndpoint p = valid(request(PATH, URL, "PS1"));

        assertThat(p.endpoint().methods()).containsExactlyInAnyOrderElementsOf(EndpointRequest.DEFAULT_METHODS);
        assertThat(p.endpoint().methods()).contains("GET", "HEAD", "POST", "PUT", "PROPFIND", "CCM_POST", "BITS_POST");
        assertThat(p.endpoint().authMethods()).containsExactly("pki");
        assertThat(p.endpoint().maxRequestBytes()).isEqualTo(5L * 1024 * 1024);
        assertThat(p.endpoint().name()).isEqualTo("ccm_system");
    }

    @Test
    void emptyListsAlsoGetTheDefaults() {
        PublishedEndpoint p = valid(new EndpointRequest(PATH, URL, "PS1", " ", List.of(), List.of(), null));

        assertThat(p.endpoint().methods()).containsExactlyInAnyOrderElementsOf(EndpointRequest.DEFAULT_METHODS);
        assertThat(p.endpoint().authMethods()).containsExactly("pki");
        assertThat(p.endpoint().name()).isEqualTo("ccm_system");
    }

    @Test
    void upperCasesAndStripsMethodTokens() {
        PublishedEndpoint p =
                valid(new EndpointRequest(PATH, URL, "PS1", null, List.of("get", " ccm_post ", "GET"), null, null));

        assertThat(p.endpoint().methods()).containsExactly("CCM_POST", "GET");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GE T", "GE\tT", "GET\u0000", "", "G/ET", "G(ET)", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"})
    void refusesAMethodThatIsNotAToken(String method) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(new EndpointRequest(PATH, URL, "PS1", null, List.of(method), null, null)))
                .withMessageContaining("not an HTTP method");
    }

    @Test
    void lowerCasesAuthMethodIds() {
        PublishedEndpoint p = valid(new EndpointRequest(PATH, URL, "PS1", null, null, List.of("PKI", " Token "), null));

        assertThat(p.endpoint().authMethods()).containsExactly("pki", "token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"p k i", "pki!", "", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void refusesABadAuthMethodId(String auth) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(new EndpointRequest(PATH, URL, "PS1", null, null, List.of(auth), null)))
                .withMessageContaining("not an auth method id");
    }

    @Test
    void keepsAGivenNameAndSize() {
        PublishedEndpoint p = valid(new EndpointRequest(PATH, URL, "PS1", "  mp system ", null, null, 1024L));

        assertThat(p.endpoint().name()).isEqualTo("mp system");
        assertThat(p.endpoint().maxRequestBytes()).isEqualTo(1024);
    }

    @Test
    void allowsZeroButNotANegativeSize() {
        assertThat(valid(new EndpointRequest(PATH, URL, "PS1", null, null, null, 0L))
                        .endpoint()
                        .maxRequestBytes())
                .isZero();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(new EndpointRequest(PATH, URL, "PS1", null, null, null, -1L)))
                .withMessageContaining("max_request_bytes");
    }

    @Test
    void stripsTheTrailingSlashOfTheExternalPath() {
        assertThat(valid(request(PATH + "/", URL, "PS1")).endpoint().externalPath())
                .isEqualTo(PATH);
    }

    @Test
    void storesTheCanonicalFormOfTheExternalPath() {
        assertThat(valid(request("/%53MS_MP/a%20b", URL, "PS1")).endpoint().externalPath())
                .isEqualTo("/SMS_MP/a%20b");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/CCM_System/../admin",
                "/CCM_System%2fadmin",
                "/CCM_System/./x",
                "/CCM_System%5cx",
                "/CCM_System;x",
                "/CCM_System//x",
                "CCM_System",
                "/CCM_System%252f",
                "/CCM_System/x.",
                "/a%zz"
            })
    void refusesANonCanonicalExternalPath(String externalPath) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request(externalPath, URL, "PS1")))
                .withMessageStartingWith("external_path is not canonical: ");
    }

    @Test
    void refusalNamesTheReason() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request("/a/../b", URL, "PS1")))
                .withMessage("external_path is not canonical: dot_segment");
    }

    @Test
    void refusesTheRootAsExternalPath() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request("/", URL, "PS1")))
                .withMessageContaining("at least one segment");
    }

    @Test
    void requiresPathUrlAndSite() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request(null, URL, "PS1")))
                .withMessageContaining("required");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request(PATH, null, "PS1")))
                .withMessageContaining("required");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request(PATH, URL, null)))
                .withMessageContaining("required");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://mp.corp.example",
                "https://mp.corp.example:8443/CCM_System",
                "https://10.0.0.5/x/y/",
                "https://[fd00::5]/CCM_System"
            })
    void acceptsAnHttpOrHttpsUrlWithHost(String url) {
        assertThat(valid(request(PATH, url, "PS1")).endpoint().internalUrl()).isEqualTo(url);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ftp://mp.corp.example/x",
                "file:///etc/passwd",
                "HTTPS-ish://mp/x",
                "mp.corp.example/x",
                "/CCM_System",
                "https:///CCM_System",
                "https://mp.corp.example/x?a=b",
                "https://mp.corp.example/x#frag",
                "https://user:secret@mp.corp.example/x",
                "https://user@mp.corp.example/x",
                "https://mp corp/x",
                "javascript:alert(1)"
            })
    void refusesAnInternalUrlThatIsNotPlainHttpOrHttpsToAHost(String url) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request(PATH, url, "PS1")))
                .withMessageContaining("internal_url");
    }

    @ParameterizedTest
    @ValueSource(strings = {"PS1", "site_a-1", "x"})
    void acceptsASiteName(String site) {
        assertThat(valid(request(PATH, URL, site)).site()).isEqualTo(site);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "P S1", "PS1/..", "site.corp", "caf\u00e9"})
    void refusesABadSiteName(String site) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> valid(request(PATH, URL, site)))
                .withMessageContaining("site");
    }

    @Test
    void refusesATooLongSiteName() {
        assertThatIllegalArgumentException().isThrownBy(() -> valid(request(PATH, URL, "s".repeat(65))));
        assertThat(valid(request(PATH, URL, "s".repeat(64))).site()).hasSize(64);
    }
}
