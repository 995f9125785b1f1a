package org.opencmg.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's filters, as the console's audit page uses them. */
class AuditTrailTest {

    @TempDir
    Path dir;

    Store store;

    @BeforeEach
    void open() {
        store = Store.open(dir);
        at("2026-01-01T10:00:00Z").record("alice", "endpoint.publish", "/CCM_Proxy_MutualAuth/1/SMS_MP", "site=PS1");
        at("2026-01-01T11:00:00Z").record("bob", "token.new", "t-1", "bulk registration token, 60 minutes");
        at("2026-01-01T12:00:00Z").record("alice", "token.block", "t-1", "bulk_token 100%");
    }

    @AfterEach
    void close() {
        store.close();
    }

    private AuditTrail at(String instant) {
        return new AuditTrail(store.jdbc, Clock.fixed(Instant.parse(instant), ZoneOffset.UTC));
    }

    private AuditTrail audit() {
        return at("2026-01-02T00:00:00Z");
    }

    @Test
    void noFilterGivesEverythingNewestFirst() {
        assertThat(audit().search(null, "", null, null, " ", 10))
                .extracting(AuditTrail.Entry::action)
                .containsExactly("token.block", "token.new", "endpoint.publish");
    }

    @Test
    void actorIsExactAndActionIsAPrefix() {
        assertThat(audit().search("alice", "token.", null, null, null, 10))
                .extracting(AuditTrail.Entry::action)
                .containsExactly("token.block");
        assertThat(audit().search("ali", null, null, null, null, 10)).isEmpty();
    }

    @Test
    void theTimeRangeIncludesItsStartAndExcludesItsEnd() {
        assertThat(audit().search(
                                null,
                                null,
                                Instant.parse("2026-01-01T11:00:00Z"),
                                Instant.parse("2026-01-01T12:00:00Z"),
                                null,
                                10))
                .extracting(AuditTrail.Entry::actor)
                .containsExactly("bob");
    }

    @Test
    void textMatchesTargetOrDetailIgnoringCaseAndLikeWildcardsAreLiteral() {
        assertThat(audit().search(null, null, null, null, "ps1", 10))
                .extracting(AuditTrail.Entry::action)
                .containsExactly("endpoint.publish");
        assertThat(audit().search(null, null, null, null, "T-1", 10)).hasSize(2);
        assertThat(audit().search(null, null, null, null, "100%", 10))
                .extracting(AuditTrail.Entry::action)
                .containsExactly("token.block");
        assertThat(audit().search(null, null, null, null, "%", 10)).hasSize(1);
        assertThat(audit().search(null, null, null, null, "bulk_", 10))
                .hasSize(1)
                .extracting(AuditTrail.Entry::action)
                .containsExactly("token.block");
    }

    @Test
    void theLimitKeepsTheNewest() {
        assertThat(audit().search(null, null, null, null, null, 1))
                .extracting(AuditTrail.Entry::action)
                .containsExactly("token.block");
    }
}
