package org.opencmg.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.opencmg.server.pipeline.Endpoints.published;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opencmg.channel.HeaderPolicy;
import org.opencmg.server.store.PublishedEndpoint;

class MappingSnapshotTest {

    private static final PublishedEndpoint CCM_SYSTEM =
            published("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System", "https://mp.corp.example/CCM_System");
    private static final PublishedEndpoint CCM_PROXY =
            published("/CCM_Proxy_MutualAuth", "https://mp.corp.example/CCM_Proxy_MutualAuth");
    private static final PublishedEndpoint SMS_MP = published("/SMS_MP", "https://mp.corp.example/SMS_MP");

    private final MappingSnapshot snapshot = new MappingSnapshot(List.of(CCM_PROXY, CCM_SYSTEM, SMS_MP), 7);

    private static CanonicalPath path(String raw) {
        return new PathNormalizer().normalise(raw);
    }

    @Test
    void longestPrefixWins() {
        var match = snapshot.match(path("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request"))
                .orElseThrow();

        assertThat(match.endpoint()).isEqualTo(CCM_SYSTEM);
        assertThat(match.prefixSegments()).isEqualTo(3);
    }

    @Test
    void shorterPrefixMatchesWhatTheLongerOneDoesNot() {
        var match = snapshot.match(path("/CCM_Proxy_MutualAuth/72057594037927939/CCM_Incoming/x"))
                .orElseThrow();

        assertThat(match.endpoint()).isEqualTo(CCM_PROXY);
        assertThat(match.prefixSegments()).isEqualTo(1);
    }

    @Test
    void matchesThePrefixItself() {
        var match = snapshot.match(path("/SMS_MP")).orElseThrow();

        assertThat(match.endpoint()).isEqualTo(SMS_MP);
        assertThat(match.prefixSegments()).isEqualTo(1);
    }

    @Test
    void matchesThePrefixWithTrailingSlash() {
        assertThat(snapshot.match(path("/SMS_MP/")))
                .map(MappingSnapshot.Match::endpoint)
                .contains(SMS_MP);
    }

    @Test
    void prefixMatchIsCaseInsensitive() {
        var match = snapshot.match(path("/ccm_proxy_mutualauth/72057594037927939/CCM_SYSTEM/request"))
                .orElseThrow();

        assertThat(match.endpoint()).isEqualTo(CCM_SYSTEM);
        assertThat(match.prefixSegments()).isEqualTo(3);
    }

    @Test
    void caseInsensitiveMatchAlsoHoldsForEncodedCharacters() {
        var spaced = published("/Site%20Content", "https://mp.corp.example/content");
        var snap = new MappingSnapshot(List.of(spaced), 1);

        assertThat(snap.match(path("/SITE%20content/menu")))
                .map(MappingSnapshot.Match::endpoint)
                .contains(spaced);
        assertThat(snap.match(path("/site%20content"))).isPresent();
    }

    @Test
    void decodedUnreservedCharactersMatchTheirPlainForm() {
        assertThat(snapshot.match(path("/%53MS_MP/x")))
                .map(MappingSnapshot.Match::endpoint)
                .contains(SMS_MP);
    }

    @Test
    void matchesOnlyOnSegmentBoundaries() {
        var ab = published("/a/b", "https://internal.example/ab");
        var snap = new MappingSnapshot(List.of(ab), 1);

        assertThat(snap.match(path("/a/bc"))).isEmpty();
        assertThat(snap.match(path("/a/bc/d"))).isEmpty();
        assertThat(snap.match(path("/a"))).isEmpty();
        assertThat(snap.match(path("/ab"))).isEmpty();
        assertThat(snap.match(path("/a/b/c"))).isPresent();
    }

    @Test
    void unmappedPathHasNoMatch() {
        assertThat(snapshot.match(path("/SMS_DP_SMSPKG$/content"))).isEmpty();
        assertThat(snapshot.match(path("/"))).isEmpty();
        assertThat(snapshot.match(path("/CCM_System/request"))).isEmpty();
    }

    @Test
    void emptySnapshotMatchesNothing() {
        assertThat(MappingSnapshot.EMPTY.match(path("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System")))
                .isEmpty();
        assertThat(MappingSnapshot.EMPTY.endpoints()).isEmpty();
        assertThat(MappingSnapshot.EMPTY.revision()).isEqualTo(-1);
    }

    @Test
    void keepsItsEndpointsAndRevision() {
        assertThat(snapshot.endpoints()).containsExactly(CCM_PROXY, CCM_SYSTEM, SMS_MP);
        assertThat(snapshot.revision()).isEqualTo(7);
    }

    @Test
    void pathDeeperThanEveryMappingStillMatches() {
        var match = snapshot.match(path("/SMS_MP/a/b/c/d/e/f/g")).orElseThrow();

        assertThat(match.endpoint()).isEqualTo(SMS_MP);
        assertThat(match.prefixSegments()).isEqualTo(1);
    }

    @Test
    void eachMatchCarriesItsEndpointsHeaderPolicyResolvedWhenTheSnapshotIsBuilt() {
        var mp = CCM_SYSTEM.withRole("mp", "72057594037927939");
        var resolved = new java.util.ArrayList<String>();
        var snap = new MappingSnapshot(List.of(mp, SMS_MP), 3, e -> {
            resolved.add(e.endpoint().externalPath());
            return "mp".equals(e.roleKind())
                    ? HeaderPolicy.of(Set.of("CCMClientID"), HeaderPolicy.Drops.NONE)
                    : HeaderPolicy.STANDARD_ONLY;
        });
        assertThat(resolved).hasSize(2);

        var ccm = snap.match(path("/CCM_Proxy_MutualAuth/72057594037927939/CCM_System/request"))
                .orElseThrow();
        var sms = snap.match(path("/SMS_MP/x")).orElseThrow();

        assertThat(ccm.headers().roleHeaders()).containsExactly("ccmclientid");
        assertThat(sms.headers()).isSameAs(HeaderPolicy.STANDARD_ONLY);
        assertThat(resolved).as("no lookup on the request path").hasSize(2);
    }
}
