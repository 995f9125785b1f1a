package org.opencmg.plugins.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminReply;

/** /api/tokens and /api/devices. */
class TokenAdminTest {

    final TestContext ctx = new TestContext();
    final Tokens tokens = new Tokens(ctx);
    final TokenStore store = new TokenStore(ctx.jdbc());
    final TokenAdmin admin = new TokenAdmin(ctx, tokens, store);

    AdminReply call(String method, String sub, String body) {
        return admin.handle(
                new AdminCall(method, sub, Map.of(), body == null ? new byte[0] : body.getBytes(), "alice"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(AdminReply r) {
        assertThat(r.status()).as(String.valueOf(r.json())).isEqualTo(200);
        return (Map<String, Object>) r.json();
    }

    @Test
    void aNewTokenIsShownOnceListedWithoutItAndAudited() throws Exception {
        var created = map(call("POST", "", null));
        String token = (String) created.get("token");
        String id = (String) created.get("id");
        var claims = SignedJWT.parse(token).getJWTClaimsSet();
        assertThat(claims.getJWTID()).isEqualTo(id);
        assertThat(Duration.between(Instant.parse((String) created.get("not_before")), Instant.parse((String)
                        created.get("expires_at"))))
                .isEqualTo(Duration.ofMinutes(4_320));

        var list = (List<?>) call("GET", "", null).json();
        assertThat(list).hasSize(1);
        assertThat(list.toString())
                .contains(id)
                .contains("state=active")
                .contains("issued_by=alice")
                .doesNotContain(token)
                .doesNotContain(token.substring(token.lastIndexOf('.') + 1));
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("alice token.new " + id));
        assertThat(String.join("\n", ctx.audit)).doesNotContain(token.split("\\.")[2]);
    }

    @Test
    void lifetimesAreCheckedAgainstTheSevenDayMaximum() {
        var week = map(call("POST", "", "{\"lifetime_minutes\": 10080}"));
        assertThat(Duration.between(
                        Instant.parse((String) week.get("not_before")), Instant.parse((String) week.get("expires_at"))))
                .isEqualTo(Duration.ofDays(7));
        for (String bad : List.of(
                "{\"lifetime_minutes\": 10081}",
                "{\"lifetime_minutes\": 0}",
                "{\"lifetime_minutes\": -5}",
                "{\"lifetime_minutes\": 1.5}",
                "{\"lifetime_minutes\": \"60\"}",
                "{\"lifetime\": 60}",
                "[60]",
                "nonsense")) {
            var r = call("POST", "", bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
        }
        assertThat(call("POST", "", "{\"lifetime_minutes\": 10081}").json().toString())
                .contains("10080");
        assertThat(store.bulkTokens()).hasSize(1);
    }

    @Test
    void blockAndUnblockAreAuditedAndUnknownIdsAre404() {
        String id = (String) map(call("POST", "", "{\"lifetime_minutes\": 60}")).get("id");
        var blocked = map(call("POST", "/" + id + "/block", null));
        assertThat(blocked).containsEntry("state", "blocked").containsEntry("blocked_by", "alice");
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("alice token.block " + id));
        assertThat(map(call("POST", "/" + id.toUpperCase() + "/unblock", null))).containsEntry("state", "active");
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("alice token.unblock " + id));
        assertThat(call("POST", "/" + UUID.randomUUID() + "/block", null).status())
                .isEqualTo(404);
        assertThat(call("GET", "/" + id + "/block", null).status()).isEqualTo(405);
        assertThat(call("POST", "/nonsense", null).status()).isEqualTo(404);
        assertThat(call("DELETE", "", null).status()).isEqualTo(405);

        ctx.clock.advance(Duration.ofMinutes(61));
        assertThat(call("GET", "", null).json().toString()).contains("state=expired");
    }

    @Test
    void rotatingTheSigningKeyIsAuditedAndListsBothKeys() {
        String first = tokens.keys().current().kid();
        var rotated = map(call("POST", "/rotate-signing-key", null));
        assertThat(rotated.get("kid")).isNotEqualTo(first);
        assertThat(Instant.parse((String) rotated.get("previous_valid_until")))
                .isEqualTo(ctx.clock.instant().plus(Duration.ofDays(91)));
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("alice token.rotate_signing_key"));
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("alice secret.rotate"));
        var keys = (List<?>) call("GET", "/signing-keys", null).json();
        assertThat(keys.toString()).contains(first).contains((String) rotated.get("kid"));
        assertThat(call("GET", "/rotate-signing-key", null).status()).isEqualTo(405);
    }

    @Test
    void devicesAreListed() {
        Instant now = ctx.clock.instant();
        store.addBulk(
                new TokenStore.BulkToken("b1", now, now, now.plusSeconds(60), "alice", false, null, null, null, 0));
        store.addBulk(
                new TokenStore.BulkToken("b2", now, now, now.plusSeconds(60), "alice", false, null, null, null, 0));
        store.registerDevice(new TokenStore.RegisteredDevice("ab".repeat(32), "pc-1", "not a key", now, "b1", now));
        store.registerDevice(
                new TokenStore.RegisteredDevice("ab".repeat(32), "pc-1-renamed", "not a key", now, "b2", now));
        var devices = new TokenAdmin.Devices(ctx, store, TokenAuthenticator.revokedDevices(ctx));
        assertThat(devices.name()).isEqualTo("devices");
        var list = (List<?>) devices.handle(new AdminCall("GET", "", Map.of(), new byte[0], "alice"))
                .json();
        assertThat(list).hasSize(1);
        // Registering the same key again leaves the row as it was.
        assertThat(list.toString()).contains("pc-1").doesNotContain("renamed").contains("bulk_token_id=b1");
        assertThat(devices.handle(new AdminCall("POST", "", Map.of(), new byte[0], "alice"))
                        .status())
                .isEqualTo(405);
    }
}
