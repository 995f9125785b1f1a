package org.opencmg.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.opencmg.server.pipeline.Endpoints.published;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.opencmg.api.Device;
import org.opencmg.server.store.PublishedEndpoint;

class RouteTest {

    private static final Device DEVICE = new Device("ABCDEF", "pki", "CN=device", null);
    private static final String PREFIX = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";

    private static Route route(PublishedEndpoint endpoint, String rawPath, String rawQuery) {
        var normalizer = new PathNormalizer();
        CanonicalPath path = normalizer.normalise(rawPath);
        var match = new MappingSnapshot(List.of(endpoint), 1).match(path).orElseThrow();
        return new Route(
                match.endpoint(), "GET", path, match.prefixSegments(), normalizer.checkQuery(rawQuery), DEVICE);
    }

    private static final PublishedEndpoint CCM_SYSTEM = published(PREFIX, "https://mp.corp.example/CCM_System");

    @Test
    void appendsTheRestOfThePathToTheInternalUrl() {
        assertThat(route(CCM_SYSTEM, PREFIX + "/request", null).internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/request");
    }

    @Test
    void appendsTheQuery() {
        assertThat(route(CCM_SYSTEM, PREFIX + "/request", "MPLIST2").internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/request?MPLIST2");
    }

    @Test
    void emptyQueryAddsNoQuestionMark() {
        assertThat(route(CCM_SYSTEM, PREFIX + "/request", "").internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/request");
    }

    @Test
    void theExactPrefixGoesToTheInternalUrlItself() {
        assertThat(route(CCM_SYSTEM, PREFIX, null).internalTarget()).isEqualTo("https://mp.corp.example/CCM_System");
    }

    @Test
    void keepsTheTrailingSlashOfTheExactPrefix() {
        assertThat(route(CCM_SYSTEM, PREFIX + "/", null).internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/");
    }

    @Test
    void keepsTheTrailingSlashOfTheRest() {
        assertThat(route(CCM_SYSTEM, PREFIX + "/a/b/", "x=1").internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/a/b/?x=1");
    }

    @Test
    void internalUrlWithTrailingSlashGivesNoDoubleSlash() {
        var endpoint = published(PREFIX, "https://mp.corp.example/CCM_System/");

        assertThat(route(endpoint, PREFIX + "/request", null).internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/request");
        assertThat(route(endpoint, PREFIX, null).internalTarget()).isEqualTo("https://mp.corp.example/CCM_System");
    }

    @Test
    void internalUrlOfAHostOnly() {
        var endpoint = published("/SMS_MP", "https://mp.corp.example:8443");

        assertThat(route(endpoint, "/SMS_MP/.sms_aut", "MPLIST").internalTarget())
                .isEqualTo("https://mp.corp.example:8443/.sms_aut?MPLIST");
    }

    @Test
    void sendsTheCanonicalRestNeverTheRawTarget() {
        assertThat(route(CCM_SYSTEM, PREFIX + "/%72equest/a%20b/%7e%41", null).internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/request/a%20b/~A");
    }

    @Test
    void replacesThePrefixWhateverItsCaseInTheRequest() {
        assertThat(route(CCM_SYSTEM, PREFIX.toLowerCase() + "/Request", null).internalTarget())
                .isEqualTo("https://mp.corp.example/CCM_System/Request");
    }

    @Test
    void siteIsTheEndpointsSite() {
        assertThat(route(CCM_SYSTEM, PREFIX, null).site()).isEqualTo("site1");
    }
}
