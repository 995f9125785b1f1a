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
    final TokenStore store = new TokenStore(ctx.dataSource);
    final TokenPages pages = new TokenPages(new TokenAdmin(ctx, tokens, store),
            new TokenAdmin.Devices(ctx, store, TokenAuthenticator.revokedDevices(ctx)), store);
    final String id = "cd".repeat(32);

    PageRequest post(String action) {
        return new PageRequest("POST", "", Map.of("action", action, "id", id), "carol", "csrf", "/plugins/auth-token/tokens");
    }

    String html() {
        return pages.render(new PageRequest("GET", "", Map.of(), "carol", "csrf", "/plugins/auth-token/tokens")).html();
    }

    @Test
    void aDeviceIsBlockedUnblockedAndDeletedFromThePage() {
        Instant now = ctx.clock.instant();
        store.registerDevice(new TokenStore.RegisteredDevice(id, "kiosk-3", "not a key", now, "b1", now));
        assertThat(html()).contains("kiosk-3").contains("value=\"device-block\"").contains("Block device kiosk-3");

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
        assertThat(ctx.audit).anyMatch(a -> a.startsWith("carol token.device_block"))
                .anyMatch(a -> a.startsWith("carol token.device_unblock")).anyMatch(a -> a.startsWith("carol token.device_delete"));
    }
}
