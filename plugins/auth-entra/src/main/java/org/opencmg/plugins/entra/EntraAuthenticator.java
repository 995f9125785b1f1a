package org.opencmg.plugins.entra;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.opencmg.api.AuthOutcome;
import org.opencmg.api.Authenticator;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.Device;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.pf4j.Extension;

/**
 * Entra ID bearer tokens ({@code Authorization: Bearer <jwt>}). A token is this method's when it
 * is a JWT whose issuer is Entra ID's, v1 ({@code https://sts.windows.net/<tid>/}) or v2
 * ({@code https://login.microsoftonline.com/<tid>/v2.0}); anything else is left to the other
 * methods (the site's own tokens belong to the token plugin). Such a token must be signed RS256 by a
 * key of the issuing tenant's JWKS, be issued for an onboarded tenant ({@code tid} equal to the
 * issuer's), carry the tenant's App ID URI as audience and be within exp/nbf, give or take the
 * configured skew.
 *
 * <p>The device is {@code entra:<tid>:<deviceid>} (or {@code <oid>} for a token without a device
 * ID), method {@value #METHOD}. Tokens are never logged nor echoed; refusal details name claims, not tokens.
 */
@Extension(ordinal = 3)
public final class EntraAuthenticator implements Authenticator {

    public static final String METHOD = "entra";

    private static final Pattern V1_ISSUER = Pattern.compile("https://sts\\.windows\\.net/([^/]+)/");
    private static final Pattern V2_ISSUER = Pattern.compile("https://login\\.microsoftonline\\.com/([^/]+)/v2\\.0");
    /** What a device ID, object ID or tenant ID may look like (they are GUIDs) before it goes into a header. */
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final PluginContext context;
    private final ConfigReader reader;
    private volatile Verifiers verifiers;

    public EntraAuthenticator(PluginContext context) {
        this.context = context;
        this.reader = new ConfigReader(context, "auth-entra");
    }

    @Override
    public String method() {
        return METHOD;
    }

    /** The issuer of a token, if it is Entra ID's: the tenant it names and the token version. */
    record Issuer(String tenantId, String version) {
        static Optional<Issuer> of(String iss) {
            if (iss == null) {
                return Optional.empty();
            }
            Matcher m = V1_ISSUER.matcher(iss);
            if (m.matches()) {
                return Optional.of(new Issuer(m.group(1).toLowerCase(Locale.ROOT), "1.0"));
            }
            m = V2_ISSUER.matcher(iss);
            if (m.matches()) {
                return Optional.of(new Issuer(m.group(1).toLowerCase(Locale.ROOT), "2.0"));
            }
            return Optional.empty();
        }
    }

    @Override
    public AuthOutcome authenticate(ClientRequest request) {
        String token = bearer(request.header("Authorization").orElse(null));
        if (token == null) {
            return AuthOutcome.NOT_MINE;
        }
        JWT jwt;
        Issuer issuer;
        try {
            jwt = JWTParser.parse(token);
            JWTClaimsSet unverified = jwt.getJWTClaimsSet(); // null for an encrypted JWT: not Entra's
            issuer = unverified == null
                    ? null
                    : Issuer.of(unverified.getIssuer()).orElse(null);
        } catch (ParseException | RuntimeException e) {
            return AuthOutcome.NOT_MINE; // not a JWT, or not one with a readable issuer: another method's
        }
        if (issuer == null) {
            return AuthOutcome.NOT_MINE;
        }
        ConfigReader.Snapshot snapshot = reader.current();
        if (snapshot.error() != null) {
            return AuthOutcome.refused(
                    Refusal.ENTRA_MISCONFIGURED,
                    "settings plugins." + context.pluginId() + ".* are invalid: "
                            + EntraConfig.printable(snapshot.error(), 300));
        }
        TenantVerifier verifier = verifiers(snapshot).byTenant().get(issuer.tenantId());
        if (verifier == null) {
            return AuthOutcome.refused(
                    Refusal.TENANT_NOT_ONBOARDED,
                    "token issued by tenant " + EntraConfig.printable(issuer.tenantId(), 64)
                            + ", which is not onboarded");
        }
        if (!(jwt instanceof SignedJWT signed)) {
            return AuthOutcome.refused(
                    Refusal.INVALID_TOKEN, "token of tenant " + issuer.tenantId() + " is not signed");
        }
        JWTClaimsSet claims;
        try {
            claims = verifier.processor().process(signed, null);
        } catch (Rejected r) {
            return AuthOutcome.refused(r.reason, r.getMessage());
        } catch (KeySourceException e) {
            return AuthOutcome.refused(
                    Refusal.JWKS_UNAVAILABLE,
                    "tenant " + issuer.tenantId() + ": " + EntraConfig.printable(e.getMessage(), 300));
        } catch (BadJOSEException | JOSEException | RuntimeException e) {
            return AuthOutcome.refused(
                    Refusal.INVALID_TOKEN,
                    "tenant " + issuer.tenantId() + ", key ID "
                            + EntraConfig.printable(signed.getHeader().getKeyID(), 64) + ": "
                            + EntraConfig.printable(e.getMessage(), 200));
        }
        return device(claims, issuer);
    }

    private static String bearer(String authorization) {
        if (authorization == null
                || authorization.length() < 8
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    private static AuthOutcome device(JWTClaimsSet claims, Issuer issuer) {
        String oid = string(claims, "oid");
        String deviceId = string(claims, "deviceid");
        String subject = deviceId != null ? deviceId : oid;
        if (subject == null) {
            return AuthOutcome.refused(
                    Refusal.INVALID_TOKEN, "token of tenant " + issuer.tenantId() + " names neither deviceid nor oid");
        }
        if (!SAFE_ID.matcher(subject).matches()
                || (oid != null && !SAFE_ID.matcher(oid).matches())) {
            return AuthOutcome.refused(
                    Refusal.INVALID_TOKEN, "token of tenant " + issuer.tenantId() + " has a malformed deviceid or oid");
        }
        var attributes = new LinkedHashMap<String, String>();
        attributes.put("tid", issuer.tenantId());
        if (oid != null) {
            attributes.put("oid", oid);
        }
        if (deviceId != null) {
            attributes.put("deviceid", deviceId);
        }
        attributes.put("token_version", issuer.version());
        String app = firstOf(claims, "appid", "azp");
        if (app != null) {
            attributes.put("appid", EntraConfig.printable(app, 64));
        }
        String id = "entra:" + issuer.tenantId() + ":" + subject.toLowerCase(Locale.ROOT);
        String name = firstOf(claims, "upn", "preferred_username", "unique_name", "name", "appid", "azp");
        return new AuthOutcome.Authenticated(new Device(
                id,
                METHOD,
                name == null || name.isBlank() ? id : EntraConfig.printable(name.strip(), 128),
                attributes));
    }

    private static String firstOf(JWTClaimsSet claims, String... names) {
        for (String n : names) {
            String v = string(claims, n);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    private static String string(JWTClaimsSet claims, String name) {
        return claims.getClaim(name) instanceof String s ? s : null;
    }

    // --- verifiers, rebuilt when the settings change ---

    private record TenantVerifier(
            EntraConfig.Tenant tenant, JwksKeys keys, DefaultJWTProcessor<SecurityContext> processor) {}

    private record Verifiers(
            ConfigReader.Snapshot snapshot, Map<String, TenantVerifier> byTenant, Map<String, JwksKeys> keySources) {}

    private Verifiers verifiers(ConfigReader.Snapshot snapshot) {
        Verifiers v = verifiers;
        if (v != null && v.snapshot() == snapshot) {
            return v;
        }
        synchronized (this) {
            v = verifiers;
            if (v != null && v.snapshot() == snapshot) {
                return v;
            }
            EntraConfig config = snapshot.config();
            Clock clock = context.clock();
            // Keep the keys already fetched from an unchanged URL (fetched with unchanged trust).
            String trust = config.caFile().map(Object::toString).orElse("");
            Map<String, JwksKeys> previous = v == null ? Map.of() : v.keySources();
            var keySources = new HashMap<String, JwksKeys>();
            var byTenant = new HashMap<String, TenantVerifier>();
            for (EntraConfig.Tenant t : config.tenants().values()) {
                String key = t.jwksUrl() + " " + trust;
                JwksKeys keys = keySources.computeIfAbsent(
                        key,
                        k -> previous.containsKey(k)
                                ? previous.get(k)
                                : new JwksKeys(t.jwksUrl(), config.jwksTls(), clock));
                var processor = new DefaultJWTProcessor<SecurityContext>();
                processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
                processor.setJWTClaimsSetVerifier(new ClaimsCheck(t, clock, config.clockSkew()));
                byTenant.put(t.tenantId(), new TenantVerifier(t, keys, processor));
            }
            v = new Verifiers(snapshot, Map.copyOf(byTenant), Map.copyOf(keySources));
            verifiers = v;
            return v;
        }
    }

    /** A claims refusal with its reason code. */
    static final class Rejected extends BadJWTException {
        private static final long serialVersionUID = 1L;
        final Refusal reason;

        Rejected(Refusal reason, String detail) {
            super(detail);
            this.reason = reason;
        }
    }

    /** Runs after the signature checked out: tenant, audience, validity period. */
    private record ClaimsCheck(EntraConfig.Tenant tenant, Clock clock, Duration skew)
            implements JWTClaimsSetVerifier<SecurityContext> {
        @Override
        public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
            String tid = string(claims, "tid");
            if (tid == null || !tid.equalsIgnoreCase(tenant.tenantId())) {
                throw new Rejected(
                        Refusal.TENANT_NOT_ONBOARDED,
                        "token issued by tenant " + tenant.tenantId() + " names tid " + EntraConfig.printable(tid, 64));
            }
            if (!tenant.acceptsAudience(claims.getAudience())) {
                throw new Rejected(
                        Refusal.WRONG_AUDIENCE,
                        "tenant " + tenant.tenantId() + ": audience "
                                + EntraConfig.printable(String.valueOf(claims.getAudience()), 200) + " is not "
                                + tenant.appIdUri());
            }
            Instant now = clock.instant();
            Date exp = claims.getExpirationTime();
            if (exp == null) {
                throw new Rejected(Refusal.INVALID_TOKEN, "tenant " + tenant.tenantId() + ": token without exp");
            }
            if (now.isAfter(exp.toInstant().plus(skew))) {
                throw new Rejected(
                        Refusal.TOKEN_EXPIRED, "tenant " + tenant.tenantId() + ": expired at " + exp.toInstant());
            }
            Date nbf = claims.getNotBeforeTime();
            if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
                throw new Rejected(
                        Refusal.TOKEN_NOT_YET_VALID,
                        "tenant " + tenant.tenantId() + ": not valid before " + nbf.toInstant());
            }
        }
    }
}
