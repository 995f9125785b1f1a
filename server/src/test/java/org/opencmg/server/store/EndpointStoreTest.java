package org.opencmg.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Endpoint;

class EndpointStoreTest {

    private static final Instant AT = Instant.parse("2025-02-03T04:05:06.789Z");
    private static final String CCM_SYSTEM = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";

    @TempDir
    Path dir;

    Store store;

    @BeforeEach
    void open() {
        store = Store.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static PublishedEndpoint endpoint(String externalPath, String internalUrl, String site) {
        return new PublishedEndpoint(
                new Endpoint(
                        "ccm_system",
                        externalPath,
                        internalUrl,
                        Set.of("GET", "CCM_POST", "BITS_POST"),
                        1_048_576,
                        Set.of("pki", "token")),
                site,
                "mp",
                "mp01",
                AT,
                "alice");
    }

    @Test
    void newStoreHasNoEndpoints() {
        assertThat(store.endpoints.list()).isEmpty();
        assertThat(store.endpoints.find(CCM_SYSTEM)).isEmpty();
    }

    @Test
    void publishedEndpointIsListedAsPublished() {
        var p = endpoint(CCM_SYSTEM, "https://mp.corp.example/CCM_System", "PS1");

        store.endpoints.publish(p);

        assertThat(store.endpoints.list()).containsExactly(p);
        assertThat(store.endpoints.find(CCM_SYSTEM)).contains(p);
    }

    @Test
    void publishedEndpointSurvivesClosingAndReopening() {
        var p = endpoint(CCM_SYSTEM, "https://mp.corp.example/CCM_System", "PS1");
        store.endpoints.publish(p);

        store.close();
        store = Store.open(dir);

        assertThat(store.endpoints.list()).containsExactly(p);
    }

    @Test
    void findIsCaseInsensitive() {
        var p = endpoint(CCM_SYSTEM, "https://mp.corp.example/CCM_System", "PS1");
        store.endpoints.publish(p);

        assertThat(store.endpoints.find(CCM_SYSTEM.toUpperCase())).contains(p);
    }

    @Test
    void publishingTheSamePathInOtherCaseReplaces() {
        store.endpoints.publish(endpoint(CCM_SYSTEM, "https://old.corp.example/CCM_System", "PS1"));
        var replacement = endpoint(CCM_SYSTEM.toLowerCase(), "https://new.corp.example/CCM_System", "PS2");

        store.endpoints.publish(replacement);

        assertThat(store.endpoints.list()).containsExactly(replacement);
    }

    @Test
    void listsInOrderOfTheLowerCasePath() {
        var b = endpoint("/b", "https://internal.example/b", "PS1");
        var a = endpoint("/A", "https://internal.example/a", "PS1");
        var c = endpoint("/c", "https://internal.example/c", "PS1");
        store.endpoints.publish(b);
        store.endpoints.publish(c);
        store.endpoints.publish(a);

        assertThat(store.endpoints.list()).containsExactly(a, b, c);
    }

    @Test
    void unpublishRemovesInAnyCase() {
        store.endpoints.publish(endpoint(CCM_SYSTEM, "https://mp.corp.example/CCM_System", "PS1"));
        var other = endpoint("/SMS_MP", "https://mp.corp.example/SMS_MP", "PS1");
        store.endpoints.publish(other);

        assertThat(store.endpoints.unpublish(CCM_SYSTEM.toLowerCase())).isTrue();

        assertThat(store.endpoints.list()).containsExactly(other);
        assertThat(store.endpoints.unpublish(CCM_SYSTEM)).isFalse();
    }

    @Test
    void publishAndUnpublishBumpTheEndpointsRevision() {
        long before = store.revisions.current().get(StateRevisions.ENDPOINTS);

        store.endpoints.publish(endpoint(CCM_SYSTEM, "https://mp.corp.example/CCM_System", "PS1"));
        long afterPublish = store.revisions.current().get(StateRevisions.ENDPOINTS);
        store.endpoints.unpublish("/not/published");
        long afterNoop = store.revisions.current().get(StateRevisions.ENDPOINTS);
        store.endpoints.unpublish(CCM_SYSTEM);
        long afterUnpublish = store.revisions.current().get(StateRevisions.ENDPOINTS);

        assertThat(afterPublish).isGreaterThan(before);
        assertThat(afterNoop).isEqualTo(afterPublish);
        assertThat(afterUnpublish).isGreaterThan(afterPublish);
        assertThat(store.revisions.current().get(StateRevisions.TRUST)).isZero();
    }

    @Test
    void keepsCustomVerbsAndAuthMethods() {
        store.endpoints.publish(endpoint(CCM_SYSTEM, "https://mp.corp.example/CCM_System", "PS1"));

        Endpoint e = store.endpoints.list().getFirst().endpoint();

        assertThat(e.methods()).containsExactly("BITS_POST", "CCM_POST", "GET");
        assertThat(e.authMethods()).containsExactly("pki", "token");
        assertThat(e.maxRequestBytes()).isEqualTo(1_048_576);
    }
}
