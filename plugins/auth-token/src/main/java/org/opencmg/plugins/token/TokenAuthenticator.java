package org.opencmg.plugins.token;

import com.nimbusds.jwt.JWTClaimsSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Optional;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Authenticator;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.Device;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.pf4j.Extension;

/**
 * Authenticates devices by a site token in {@code Authorization: Bearer <jwt>}. A JWT of another
 * issuer (an Entra ID token) is not this method's. The device's {@link Device#method()} says what
 * the token is good for: "token" (an access token: the ServerAuth endpoints), "token-device" (a
 * device token: only the token service, to renew it or get an access token), "token-bulk" (a bulk
 * registration token: only registration at the token service).
 *
 * <p>A bulk token is looked up in the store on every use, so a block holds at once on every
 * instance; registration is rare. Access tokens, on every request, cost one RSA verification and
 * a look-up in the in-memory set of blocked and deleted devices ({@link RevokedDevices}), which
 * device tokens are checked against too. Neither the token nor any part of it is ever logged or echoed.
 */
@Extension(ordinal = 2)
public final class TokenAuthenticator implements Authenticator {

    public static final String METHOD_ACCESS = "token";
    public static final String METHOD_DEVICE = "token-device";
    public static final String METHOD_BULK = "token-bulk";

    private final Tokens tokens;
    private final TokenStore store;
    private final RevokedDevices revoked;

    public TokenAuthenticator(PluginContext context) {
        this(new Tokens(context), new TokenStore(context.jdbc()), revokedDevices(context));
    }

    TokenAuthenticator(Tokens tokens, TokenStore store, RevokedDevices revoked) {
        this.tokens = tokens;
        this.store = store;
        this.revoked = revoked;
    }

    /** The plugin's one set of revoked devices: a block through the admin API holds on this instance at once. */
    static RevokedDevices revokedDevices(PluginContext context) {
        return context.shared(
                RevokedDevices.class,
                () -> new RevokedDevices(
                        new TokenStore(context.jdbc()), () -> context.clock().instant()));
    }

    @Override
    public String method() {
        return METHOD_ACCESS;
    }

    @Override
    public AuthOutcome authenticate(ClientRequest request) {
        Optional<String> bearer = bearer(request.header("Authorization").orElse(null));
        if (bearer.isEmpty()) {
            return AuthOutcome.NOT_MINE;
        }
        return switch (tokens.check(bearer.get())) {
            case Tokens.Check.NotOurs n -> AuthOutcome.NOT_MINE;
            case Tokens.Check.Invalid bad -> AuthOutcome.refused(bad.reason(), bad.detail());
            case Tokens.Check.Valid ok -> device(ok.kind(), ok.claims());
        };
    }

    private AuthOutcome device(Tokens.Kind kind, JWTClaimsSet claims) {
        String jti = claims.getJWTID();
        var attributes = new LinkedHashMap<String, String>();
        attributes.put("token_id", jti);
        attributes.put("expires_at", claims.getExpirationTime().toInstant().toString());
        attributes.put("issuer", claims.getIssuer());
        String site = Tokens.claimString(claims, Tokens.SITE_CLAIM);
        if (site != null && kind != Tokens.Kind.BULK) {
            attributes.put(Device.SITE, site);
        }
        switch (kind) {
            case BULK -> {
                var row = store.bulk(jti);
                if (row.isEmpty()) {
                    return AuthOutcome.refused(Refusal.INVALID_TOKEN, "bulk token " + jti + " is not in the store");
                }
                if (row.get().blocked()) {
                    return AuthOutcome.refused(
                            Refusal.TOKEN_BLOCKED,
                            "bulk token " + jti + " blocked by " + row.get().blockedBy() + " at "
                                    + row.get().blockedAt());
                }
                return new AuthOutcome.Authenticated(
                        new Device("bulk:" + jti, METHOD_BULK, "bulk registration token " + jti, attributes));
            }
            case DEVICE -> {
                String id = claims.getSubject();
                Refusal refusal = revoked(id, claims);
                if (refusal != null) {
                    return AuthOutcome.refused(refusal, "device token " + jti + " of device " + id);
                }
                var registered = store.device(id);
                if (registered.isEmpty()) {
                    return AuthOutcome.refused(Refusal.INVALID_TOKEN, "device " + id + " is not registered");
                }
                if (registered.get().blocked()) {
                    return AuthOutcome.refused(
                            Refusal.DEVICE_BLOCKED,
                            "device " + id + " blocked by " + registered.get().blockedBy() + " at "
                                    + registered.get().blockedAt());
                }
                return new AuthOutcome.Authenticated(
                        new Device(id, METHOD_DEVICE, registered.get().name(), attributes));
            }
            case ACCESS -> {
                Refusal refusal = revoked(claims.getSubject(), claims);
                if (refusal != null) {
                    return AuthOutcome.refused(refusal, "access token " + jti + " of device " + claims.getSubject());
                }
                String auth = Tokens.claimString(claims, "auth");
                attributes.put("auth", auth == null ? "token" : auth);
                return new AuthOutcome.Authenticated(
                        new Device(claims.getSubject(), METHOD_ACCESS, Tokens.claimString(claims, "name"), attributes));
            }
        }
        throw new IllegalStateException("unknown kind " + kind);
    }

    private Refusal revoked(String deviceId, JWTClaimsSet claims) {
        return deviceId == null
                ? null
                : revoked.refusal(
                        deviceId,
                        claims.getIssueTime() == null
                                ? null
                                : claims.getIssueTime().toInstant());
    }

    /** The credentials of an {@code Authorization: Bearer} header (scheme case-insensitive), if that is what it is. */
    static Optional<String> bearer(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String v = authorization.strip();
        int space = v.indexOf(' ');
        if (space < 0 || !v.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return Optional.empty();
        }
        String token = v.substring(space + 1).strip();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }
}
