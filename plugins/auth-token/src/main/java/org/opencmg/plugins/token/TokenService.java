package org.opencmg.plugins.token;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.opencmg.api.Device;
import org.opencmg.api.GatewayService;
import org.opencmg.api.PluginContext;
import org.opencmg.api.Refusal;
import org.opencmg.api.ServiceRequest;
import org.opencmg.api.ServiceResponse;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token service, {@code /CCM_Proxy_ServerAuth/<role id>/CCM_STS[/...]}, answered by the
 * gateway itself (never forwarded). Every operation is a POST with a JSON body; answers are JSON.
 * <ul>
 *   <li>{@code .../CCM_STS/register}, with a bulk registration token: {"public_key": PEM SPKI,
 *       "name": "...", "proof": compact JWS by that very key, payload {"jti": the bulk token's jti,
 *       "device_id": hex SHA-256 of the SPKI, "iat": now}} gives {"device_id", "device_token",
 *       "expires_at"} (device token: 90 days). A key registered already keeps its name and bulk
 *       token: the proof shows the caller holds the key, and gets a new device token;</li>
 *   <li>{@code .../CCM_STS/renew}, with a device token: {"proof": compact JWS by the device's
 *       registered key, payload {"jti": the device token's jti, "iat": now}} gives a new device
 *       token, same answer as register;</li>
 *   <li>{@code .../CCM_STS} or {@code .../CCM_STS/token}, with a device token or an Entra ID
 *       token: {"access_token", "token_type": "Bearer", "expires_in"} (8 hours).</li>
 * </ul>
 * Anything else is refused with a reason.
 */
@Extension
public final class TokenService implements GatewayService {

    private static final Logger LOG = LoggerFactory.getLogger(TokenService.class);

    static final String ENTRA = "entra";
    private static final int MAX_NAME = 128;

    private final Tokens tokens;
    private final TokenStore store;

    public TokenService(PluginContext context) {
        this(new Tokens(context), new TokenStore(context.jdbc()));
    }

    TokenService(Tokens tokens, TokenStore store) {
        this.tokens = tokens;
        this.store = store;
    }

    @Override
    public List<String> paths() {
        return List.of("/CCM_Proxy_ServerAuth/*/CCM_STS", "/CCM_Proxy_ServerAuth/*/CCM_STS/**");
    }

    @Override
    public ServiceResponse handle(ServiceRequest request) {
        String[] segments = request.path().substring(1).split("/");
        String operation =
                segments.length == 3 ? "token" : segments.length == 4 ? segments[3].toLowerCase(Locale.ROOT) : null;
        if (operation == null || !List.of("token", "register", "renew").contains(operation)) {
            return ServiceResponse.refuse(Refusal.UNKNOWN_STS_OPERATION, "CCM_STS has register, renew and token");
        }
        if (!"POST".equals(request.method())) {
            return ServiceResponse.refuse(Refusal.METHOD_NOT_ALLOWED, request.method() + " on CCM_STS/" + operation);
        }
        return switch (operation) {
            case "register" -> register(request);
            case "renew" -> renew(request);
            default -> accessToken(request);
        };
    }

    private ServiceResponse register(ServiceRequest request) {
        Optional<Device> bulk = request.deviceBy(TokenAuthenticator.METHOD_BULK);
        if (bulk.isEmpty()) {
            return ServiceResponse.refuse(
                    Refusal.BULK_TOKEN_REQUIRED,
                    "registration needs a bulk registration token; request had " + methods(request));
        }
        Map<String, Object> body;
        try {
            body = jsonBody(request);
        } catch (ParseException e) {
            return ServiceResponse.refuse(Refusal.MALFORMED_REQUEST, "body is not a JSON object");
        }
        DeviceKeys.Parsed key;
        try {
            key = DeviceKeys.parsePem(body.get("public_key") instanceof String s ? s : null);
        } catch (DeviceKeys.BadKey e) {
            return ServiceResponse.refuse(Refusal.BAD_PUBLIC_KEY, e.getMessage());
        }
        Object rawName = body.get("name");
        String name = rawName == null
                ? "device-" + key.deviceId().substring(0, 12)
                : rawName instanceof String s ? s.strip() : null;
        if (name == null
                || name.isEmpty()
                || name.length() > MAX_NAME
                || !name.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            return ServiceResponse.refuse(
                    Refusal.BAD_DEVICE_NAME, "name must be 1-" + MAX_NAME + " printable characters");
        }
        Instant now = tokens.clock().instant();
        String bulkId = bulk.get().attributes().get("token_id");
        // Without this a bulk-token holder could register someone else's public key and act as that device.
        String why = DeviceKeys.checkProof(
                body.get("proof") instanceof String s ? s : null, key.key(), bulkId, key.deviceId(), now);
        if (why != null) {
            return ServiceResponse.refuse(Refusal.INVALID_PROOF, "registration of " + key.deviceId() + ": " + why);
        }
        var registration = store.registerDevice(
                new TokenStore.RegisteredDevice(key.deviceId(), name, key.pem(), now, bulkId, now));
        if (registration.outcome() == TokenStore.Registration.Outcome.LIMIT_REACHED) {
            return ServiceResponse.refuse(
                    Refusal.REGISTRATION_LIMIT_REACHED,
                    "bulk token " + bulkId + " has registered as many devices as it may");
        }
        var device = registration.device();
        if (device.blocked()) {
            return ServiceResponse.refuse(
                    Refusal.DEVICE_BLOCKED, "device " + device.id() + " is blocked; it cannot register again");
        }
        if (registration.created()) {
            LOG.info("device {} ({}) registered with bulk token {}", device.id(), device.name(), bulkId);
        } else {
            store.touchDevice(device.id(), now);
            LOG.info(
                    "device {} ({}) registered again with bulk token {}, proving its key; name and bulk token unchanged",
                    device.id(),
                    device.name(),
                    bulkId);
        }
        // The device belongs to the site whose role's token service it registered through.
        String site =
                tokens.siteOfRole(request.path().substring(1).split("/")[1]).orElse(null);
        return deviceTokenAnswer(device.id(), tokens.mintDevice(device.id(), device.name(), site));
    }

    private ServiceResponse renew(ServiceRequest request) {
        Optional<Device> device = request.deviceBy(TokenAuthenticator.METHOD_DEVICE);
        if (device.isEmpty()) {
            return ServiceResponse.refuse(
                    Refusal.DEVICE_TOKEN_REQUIRED, "renewal needs a device token; request had " + methods(request));
        }
        Map<String, Object> body;
        try {
            body = jsonBody(request);
        } catch (ParseException e) {
            return ServiceResponse.refuse(Refusal.MALFORMED_REQUEST, "body is not a JSON object");
        }
        String id = device.get().id();
        var registered = store.device(id);
        if (registered.isEmpty()) {
            return ServiceResponse.refuse(Refusal.INVALID_TOKEN, "device " + id + " is not registered");
        }
        if (registered.get().blocked()) {
            return ServiceResponse.refuse(Refusal.DEVICE_BLOCKED, "device " + id + " is blocked; no renewal");
        }
        DeviceKeys.Parsed key;
        try {
            key = DeviceKeys.parsePem(registered.get().publicKeyPem());
        } catch (DeviceKeys.BadKey e) {
            return ServiceResponse.refuse(Refusal.STORED_KEY_UNREADABLE, "device " + id + ": " + e.getMessage());
        }
        Instant now = tokens.clock().instant();
        String why = DeviceKeys.checkProof(
                body.get("proof") instanceof String s ? s : null,
                key.key(),
                device.get().attributes().get("token_id"),
                now);
        if (why != null) {
            return ServiceResponse.refuse(Refusal.INVALID_PROOF, "device " + id + ": " + why);
        }
        store.touchDevice(id, now);
        return deviceTokenAnswer(
                id,
                tokens.mintDevice(
                        id, registered.get().name(), device.get().site().orElse(null)));
    }

    private ServiceResponse accessToken(ServiceRequest request) {
        Optional<Device> device = request.deviceBy(TokenAuthenticator.METHOD_DEVICE, ENTRA);
        if (device.isEmpty()) {
            return ServiceResponse.refuse(
                    Refusal.DEVICE_TOKEN_REQUIRED,
                    "an access token needs a device token or an Entra ID token; request had " + methods(request));
        }
        Device d = device.get();
        boolean entra = ENTRA.equals(d.method());
        Instant notAfter = null;
        if (!entra) {
            try {
                notAfter = Instant.parse(d.attributes().getOrDefault("expires_at", ""));
            } catch (DateTimeParseException e) {
                notAfter = null;
            }
        }
        Tokens.Minted minted = tokens.mintAccess(
                d.id(), d.name(), entra ? ENTRA : "token", d.site().orElse(null), notAfter);
        var answer = new LinkedHashMap<String, Object>();
        answer.put("access_token", minted.token());
        answer.put("token_type", "Bearer");
        answer.put(
                "expires_in",
                minted.expiresAt().getEpochSecond() - minted.issuedAt().getEpochSecond());
        return ServiceResponse.json(200, JSONObjectUtils.toJSONString(answer));
    }

    private static ServiceResponse deviceTokenAnswer(String deviceId, Tokens.Minted minted) {
        var answer = new LinkedHashMap<String, Object>();
        answer.put("device_id", deviceId);
        answer.put("device_token", minted.token());
        answer.put("expires_at", minted.expiresAt().toString());
        return ServiceResponse.json(200, JSONObjectUtils.toJSONString(answer));
    }

    private static Map<String, Object> jsonBody(ServiceRequest request) throws ParseException {
        String text = new String(request.body(), StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return Map.of();
        }
        return JSONObjectUtils.parse(text);
    }

    private static String methods(ServiceRequest request) {
        return request.devices().stream().map(Device::method).toList().toString();
    }
}
