package org.opencmg.plugins.token;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opencmg.api.PageRequest;

/** The console page's device actions: the very calls of /api/devices. */
class TokenPagesTest {

    final TestContext ctx = new TestContext();
    final Tokens tokens = new Tokens(ctx);
    final TokenStore store = new TokenStore(ctx.jdbc());
    final TokenPages pages = new TokenPages(
            new TokenAdmin(ctx, tokens, store),
            new TokenAdmin.Devices(ctx, store, TokenAuthenticator.revokedDevices(ctx)),
            store);
    final String id = "cd".repeat(32);

    PageRequest post(String action) {
        return new PageRequest(
                "POST", "", Map.of("action", action, "id", id), "carol", "csrf", "/plugins/auth-token/tokens");
    }

    String html() {
        return pages.render(new PageRequest("GET", "", Map.of(), "carol", "csrf", "/plugins/auth-token/tokens"))
                .html();
    }

    @Test
    void aDeviceIsBlockedUnblockedAndDeletedFromThePage() {
        Instant now = ctx.clock.instant();
        store.addBulk(
                new TokenStore.BulkToken("b1", now, now, now.plusSeconds(60), "alice", false, null, null, null, 0));
        store.registerDevice(new TokenStore.RegisteredDevice(id, "kiosk-3", "not a key", now, "b1", now));
        assertThat(html())
                .contains("kiosk-3")
                .contains("value=\"device-block\"")
                .contains("Block device kiosk-3");

        var blocked = pages.submit(post("device-block"));
        assertThat(blocked.failed()).isFalse();
        assertThat(blocked.message()).isEqualTo("Blocked device " + id + ".");
        assertThat(store.device(id).orElseThrow().blocked()).isTrue();
        assertThat(html()).contains(">blocked<").contains("value=\"device-unblock\"");

        assertThat(pages.submit(post("device-unblock")).failed()).isFalse();
        assertThat(store.device(id).orElseThrow().blocked()).isFalse();

        assertThat(pages.submit(post("device-delete")).message()).isEqualTo("Deleted device " + id + ".");
        assertThat(store.device(id)).isEmpty();
        assertThat(pages.submit(post("device-delete")).failed()).isTrue();
        assertThat(ctx.audit)
                .anyMatch(a -> a.startsWith("carol token.device_block"))
                .anyMatch(a -> a.startsWith("carol token.device_unblock"))
                .anyMatch(a -> a.startsWith("carol token.device_delete"));
    }

    String html(String page) {
        return pages.render(
                        new PageRequest("GET", "", Map.of("page", page), "carol", "csrf", "/plugins/auth-token/tokens"))
                .html();
    }

    @Test
    void manyDevicesAreShownFiftyToAPage() {
        Instant now = ctx.clock.instant();
        store.addBulk(
                new TokenStore.BulkToken("b1", now, now, now.plusSeconds(60), "alice", false, null, null, null, 0));
        for (int i = 0; i < 60; i++) {
            Instant at = now.plusSeconds(i);
            store.registerDevice(new TokenStore.RegisteredDevice(
                    String.format("%064x", i), "pc-%02d".formatted(i), "not a key", at, "b1", at));
        }
        String first = html();
        assertThat(first)
                .contains("60 devices, page 1 of 2")
                .contains("pc-59")
                .contains("pc-10")
                .doesNotContain(">pc-09<")
                .contains("href=\"/plugins/auth-token/tokens?page=2\"");
        assertThat(first.split("data-device=").length - 1).isEqualTo(50);
        String second = html("2");
        assertThat(second)
                .contains("page 2 of 2")
                .contains(">pc-09<")
                .contains(">pc-00<")
                .doesNotContain(">pc-10<")
                .contains("href=\"/plugins/auth-token/tokens?page=1\"");
        assertThat(html("99")).contains("page 2 of 2");
        assertThat(html("x")).contains("page 1 of 2");
    }

    @Test
    void aTokenWithAMaximumOfRegistrationsIsCreatedFromThePage() {
        var reply = pages.submit(new PageRequest(
                "POST",
                "",
                Map.of("action", "new", "lifetime_minutes", "60", "max_registrations", "25"),
                "carol",
                "csrf",
                "/plugins/auth-token/tokens"));
        assertThat(reply.html()).contains("New bulk token");
        assertThat(store.bulkTokens().getFirst().maxRegistrations()).isEqualTo(25);
        assertThat(html()).contains("0 of 25");
        assertThat(pages.submit(new PageRequest(
                                "POST",
                                "",
                                Map.of("action", "new", "lifetime_minutes", "60", "max_registrations", "-1"),
                                "carol",
                                "csrf",
                                "/plugins/auth-token/tokens"))
                        .failed())
                .isTrue();
        pages.submit(new PageRequest(
                "POST",
                "",
                Map.of("action", "new", "lifetime_minutes", "60", "max_registrations", ""),
                "carol",
                "csrf",
                "/plugins/auth-token/tokens"));
        assertThat(store.bulkTokens()).hasSize(2).anyMatch(t -> t.maxRegistrations() == null);
    }
}
