package org.opencmg.plugins.token;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminReply;
import org.opencmg.api.AdminResource;
import org.opencmg.api.PluginContext;
import org.pf4j.Extension;

/**
 * {@code /api/tokens}: bulk registration tokens and the signing key.
 * <ul>
 *   <li>{@code POST /api/tokens} {"lifetime_minutes": N (default 4,320, at most 10,080),
 *       "max_registrations": M (optional, 1 to {@value #MAX_REGISTRATIONS}; none: no limit)} gives
 *       {"id", "token", "not_before", "expires_at", "max_registrations"}: the only time the token is shown;</li>
 *   <li>{@code GET /api/tokens}: every bulk token issued (without the token);</li>
 *   <li>{@code POST /api/tokens/<id>/block}, {@code .../unblock};</li>
 *   <li>{@code POST /api/tokens/rotate-signing-key}: a new signing key; the previous one stays
 *       valid 91 days, so live device tokens (90 days) keep working;</li>
 *   <li>{@code GET /api/tokens/signing-keys}: kid and version of every valid key.</li>
 * </ul>
 * Every change is audited, never with a token in it.
 */
@Extension
public final class TokenAdmin implements AdminResource {

    private static final Pattern BLOCK = Pattern.compile("/([^/]{1,64})/(block|unblock)");
    static final int MAX_REGISTRATIONS = 1_000_000;

    private final PluginContext context;
    private final Tokens tokens;
    private final TokenStore store;

    public TokenAdmin(PluginContext context) {
        this(context, new Tokens(context), new TokenStore(context.jdbc()));
    }

    TokenAdmin(PluginContext context, Tokens tokens, TokenStore store) {
        this.context = context;
        this.tokens = tokens;
        this.store = store;
    }

    @Override
    public String name() {
        return "tokens";
    }

    @Override
    public AdminReply handle(AdminCall call) {
        String sub = call.subPath();
        if (sub.isEmpty() || sub.equals("/")) {
            return switch (call.method()) {
                case "GET" ->
                    AdminReply.ok(store.bulkTokens().stream().map(this::json).toList());
                case "POST" -> issue(call);
                default -> AdminReply.error(405, call.method() + " is not allowed on /api/tokens");
            };
        }
        if (sub.equals("/rotate-signing-key")) {
            return "POST".equals(call.method())
                    ? rotate(call.actor())
                    : AdminReply.error(405, "POST /api/tokens/rotate-signing-key");
        }
        if (sub.equals("/signing-keys") && "GET".equals(call.method())) {
            return AdminReply.ok(tokens.keys().valid().stream()
                    .map(k -> Map.of("kid", k.kid(), "version", k.version()))
                    .toList());
        }
        Matcher m = BLOCK.matcher(sub);
        if (m.matches()) {
            if (!"POST".equals(call.method())) {
                return AdminReply.error(405, "POST /api/tokens/<id>/" + m.group(2));
            }
            return block(m.group(1).toLowerCase(Locale.ROOT), m.group(2).equals("block"), call.actor());
        }
        return AdminReply.error(404, "no such API: " + call.method() + " /api/tokens" + sub);
    }

    private AdminReply issue(AdminCall call) {
        long minutes = Tokens.BULK_DEFAULT.toMinutes();
        Integer maxRegistrations = null;
        String text = new String(call.body(), StandardCharsets.UTF_8).strip();
        if (!text.isEmpty()) {
            Map<String, Object> body;
            try {
                body = JSONObjectUtils.parse(text);
            } catch (ParseException e) {
                return AdminReply.error(
                        400, "malformed JSON: expected {\"lifetime_minutes\": N, \"max_registrations\": M}");
            }
            for (String key : body.keySet()) {
                if (!key.equals("lifetime_minutes") && !key.equals("max_registrations")) {
                    return AdminReply.error(400, "unknown field: " + key);
                }
            }
            Object v = body.get("lifetime_minutes");
            if (v != null) {
                if (!(v instanceof Long || v instanceof Integer)) {
                    return AdminReply.error(400, "lifetime_minutes must be a whole number of minutes");
                }
                minutes = ((Number) v).longValue();
            }
            Object m = body.get("max_registrations");
            if (m != null) {
                if (!(m instanceof Long || m instanceof Integer)
                        || ((Number) m).longValue() < 1
                        || ((Number) m).longValue() > MAX_REGISTRATIONS) {
                    return AdminReply.error(
                            400,
                            "max_registrations must be a whole number from 1 to " + MAX_REGISTRATIONS
                                    + " (leave it out for no limit)");
                }
                maxRegistrations = ((Number) m).intValue();
            }
        }
        long max = Tokens.BULK_MAX.toMinutes();
        if (minutes < 1 || minutes > max) {
            return AdminReply.error(400, "lifetime_minutes must be 1 to " + max + " (7 days), not " + minutes);
        }
        Tokens.Minted t = tokens.mintBulk(Duration.ofMinutes(minutes));
        store.addBulk(new TokenStore.BulkToken(
                t.id(),
                t.issuedAt(),
                t.notBefore(),
                t.expiresAt(),
                call.actor(),
                false,
                null,
                null,
                maxRegistrations,
                0));
        context.audit()
                .record(
                        call.actor(),
                        "token.new",
                        t.id(),
                        "bulk registration token, " + minutes + " minutes, until "
                                + t.expiresAt() + ", "
                                + (maxRegistrations == null
                                        ? "no registration limit"
                                        : "at most " + maxRegistrations + " registrations")
                                + ", signing key " + t.kid());
        var out = new LinkedHashMap<String, Object>();
        out.put("id", t.id());
        out.put("token", t.token());
        out.put("not_before", t.notBefore().toString());
        out.put("expires_at", t.expiresAt().toString());
        out.put("max_registrations", maxRegistrations);
        return AdminReply.ok(out);
    }

    private AdminReply block(String id, boolean blocked, String actor) {
        if (!store.setBlocked(id, blocked, context.clock().instant(), actor)) {
            return AdminReply.error(404, "no bulk registration token with ID " + id);
        }
        context.audit().record(actor, blocked ? "token.block" : "token.unblock", id, "bulk registration token");
        return AdminReply.ok(json(store.bulk(id).orElseThrow()));
    }

    AdminReply rotate(String actor) {
        SigningKeys.Key k = tokens.keys().rotate(actor);
        Instant until =
                context.clock().instant().plus(SigningKeys.ROLLOVER_OVERLAP).truncatedTo(ChronoUnit.SECONDS);
        context.audit()
                .record(
                        actor,
                        "token.rotate_signing_key",
                        "signing-key",
                        "new kid " + k.kid() + " (v" + k.version() + "); previous keys valid until " + until);
        var out = new LinkedHashMap<String, Object>();
        out.put("kid", k.kid());
        out.put("version", k.version());
        out.put("previous_valid_until", until.toString());
        return AdminReply.ok(out);
    }

    private Map<String, Object> json(TokenStore.BulkToken t) {
        Instant now = context.clock().instant();
        var out = new LinkedHashMap<String, Object>();
        out.put("id", t.id());
        out.put(
                "state",
                t.blocked()
                        ? "blocked"
                        : now.isAfter(t.expiresAt())
                                ? "expired"
                                : t.maxRegistrations() != null && t.registrations() >= t.maxRegistrations()
                                        ? "used up"
                                        : "active");
        out.put("issued_at", t.issuedAt().toString());
        out.put("not_before", t.notBefore().toString());
        out.put("expires_at", t.expiresAt().toString());
        out.put("issued_by", t.issuedBy());
        out.put("blocked", t.blocked());
        out.put("blocked_at", t.blockedAt() == null ? null : t.blockedAt().toString());
        out.put("blocked_by", t.blockedBy());
        out.put("max_registrations", t.maxRegistrations());
        out.put("registrations", t.registrations());
        return out;
    }

    /**
     * {@code /api/devices}: the devices registered with a bulk token (no key material but the public key's type).
     * <ul>
     *   <li>{@code GET /api/devices}: every device, newest first;</li>
     *   <li>{@code POST /api/devices/<id>/block}: none of its device or access tokens is accepted any
     *       more, on every instance within a second; it cannot renew nor register again;
     *       {@code .../unblock} lifts that;</li>
     *   <li>{@code DELETE /api/devices/<id>}: the row goes, and every token issued to it so far is
     *       refused; its key may register again (with a bulk token and a proof).</li>
     * </ul>
     * Every change is audited.
     */
    @Extension
    public static final class Devices implements AdminResource {

        private static final Pattern DEVICE = Pattern.compile("/([0-9A-Fa-f]{64})(/block|/unblock)?");

        private final PluginContext context;
        private final TokenStore store;
        private final RevokedDevices revoked;

        public Devices(PluginContext context) {
            this(context, new TokenStore(context.jdbc()), TokenAuthenticator.revokedDevices(context));
        }

        Devices(PluginContext context, TokenStore store, RevokedDevices revoked) {
            this.context = context;
            this.store = store;
            this.revoked = revoked;
        }

        @Override
        public String name() {
            return "devices";
        }

        @Override
        public AdminReply handle(AdminCall call) {
            String sub = call.subPath();
            if (sub.isEmpty() || sub.equals("/")) {
                return "GET".equals(call.method())
                        ? AdminReply.ok(
                                store.devices().stream().map(Devices::json).toList())
                        : AdminReply.error(405, call.method() + " is not allowed on /api/devices");
            }
            Matcher m = DEVICE.matcher(sub);
            if (!m.matches()) {
                return AdminReply.error(404, "no such API: " + call.method() + " /api/devices" + sub);
            }
            String id = m.group(1).toLowerCase(Locale.ROOT);
            String action = m.group(2);
            if (action == null) {
                return switch (call.method()) {
                    case "GET" ->
                        store.device(id)
                                .<AdminReply>map(d -> AdminReply.ok(json(d)))
                                .orElseGet(() -> AdminReply.error(404, "no registered device with ID " + id));
                    case "DELETE" -> delete(id, call.actor());
                    default -> AdminReply.error(405, call.method() + " /api/devices/<id>: GET or DELETE");
                };
            }
            if (!"POST".equals(call.method())) {
                return AdminReply.error(405, "POST /api/devices/<id>" + action);
            }
            return block(id, action.equals("/block"), call.actor());
        }

        private AdminReply block(String id, boolean blocked, String actor) {
            if (!store.setDeviceBlocked(id, blocked, context.clock().instant(), actor)) {
                return AdminReply.error(404, "no registered device with ID " + id);
            }
            revoked.reload();
            var device = store.device(id).orElseThrow();
            context.audit()
                    .record(
                            actor,
                            blocked ? "token.device_block" : "token.device_unblock",
                            id,
                            "token device " + device.name());
            return AdminReply.ok(json(device));
        }

        private AdminReply delete(String id, String actor) {
            Instant now = context.clock().instant();
            var device = store.device(id);
            if (device.isEmpty() || !store.deleteDevice(id, now, actor, now.minus(RevokedDevices.REMEMBER_DELETION))) {
                return AdminReply.error(404, "no registered device with ID " + id);
            }
            revoked.reload();
            context.audit()
                    .record(
                            actor,
                            "token.device_delete",
                            id,
                            "token device " + device.get().name());
            return AdminReply.ok(Map.of("deleted", id));
        }

        private static Map<String, Object> json(TokenStore.RegisteredDevice d) {
            var out = new LinkedHashMap<String, Object>();
            out.put("id", d.id());
            out.put("name", d.name());
            out.put("state", d.blocked() ? "blocked" : "active");
            out.put("key_type", keyType(d.publicKeyPem()));
            out.put("registered_at", d.registeredAt().toString());
            out.put("bulk_token_id", d.bulkTokenId());
            out.put("last_issued_at", d.lastIssuedAt().toString());
            out.put("blocked_at", d.blockedAt() == null ? null : d.blockedAt().toString());
            out.put("blocked_by", d.blockedBy());
            return out;
        }

        private static String keyType(String pem) {
            try {
                return DeviceKeys.parsePem(pem).key() instanceof ECPublicKey ? "EC P-256" : "RSA";
            } catch (DeviceKeys.BadKey e) {
                return "unreadable";
            }
        }
    }
}
