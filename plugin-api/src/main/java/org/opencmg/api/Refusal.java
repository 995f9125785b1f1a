package org.opencmg.api;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every reason the gateway, its channel, a connection point or a plugin refuses something with: the
 * one vocabulary of refusals. A refusal is answered with {@link #status()} and the one-line body
 * {@code "STATUS code"}, logged with its {@link #code()} on the {@code refusals} logger and counted
 * by it ({@code cmg_refusals_total{reason,status}}). docs/security.md lists the whole catalogue
 * (RefusalReasonsDocTest generates that table from this enum and checks every other mention).
 *
 * <p>It lives in the plugin API because plugins refuse with it ({@link AuthOutcome#refused(Refusal, String)},
 * {@link ServiceResponse#refuse(Refusal, String)}) and this module depends on nothing of the host;
 * the connection point takes it for the same reason. A new reason is added here, with its status and
 * a line for the docs, never as a string where it is used.
 */
public enum Refusal {

    // --- the client connector: framing, before the pipeline (Jetty's own refusals included) ---
    BAD_MESSAGE(400, "the request's framing is malformed (Jetty's strict HTTP/1.1 parser refused it)"),
    BAD_TRANSFER_ENCODING(400, "a transfer coding other than chunked"),
    NOT_ORIGIN_FORM(400, "the request target is not a path (absolute or authority form)"),
    UNDERSCORE_IN_HEADER_NAME(400, "a header name with an underscore, which proxies read two ways"),
    DUPLICATE_AUTHORIZATION(400, "two Authorization fields"),
    MISDIRECTED_HOST(421, "the request names a host that is not this gateway's"),
    TOO_MANY_HEADERS(431, "more than 100 header fields"),
    HEADERS_TOO_LARGE(431, "the request head is larger than 16 KB"),
    URI_TOO_LONG(414, "the request line is longer than the parser takes"),
    NOT_FOUND(404, "a path that reached no handler of the connector"),
    REQUEST_TIMEOUT(408, "the request did not arrive in time (Jetty)"),
    UPGRADE_REQUIRED(426, "an HTTP/2 preface on the HTTP/1.1 client connector"),
    HTTP_VERSION_NOT_SUPPORTED(505, "an HTTP version the gateway does not speak"),
    SERVER_ERROR(500, "Jetty failed on the request before the pipeline had it"),
    HEADER_TIMEOUT(
            408, "the TLS handshake or a request head did not arrive within timeouts.header; the connection is closed"),
    PROXY_SOURCE_NOT_ALLOWED(
            403, "a PROXY-protocol connection from an address outside client.proxy-from; closed unread"),
    INTERNAL_ERROR(500, "the gateway failed on the request; the log has the cause under an incident number"),

    // --- authentication ---
    NO_CREDENTIALS(401, "the request carries no credentials at all"),
    AUTH_PLUGIN_ERROR(503, "an authentication plugin threw; that request is refused, the gateway runs on"),

    // --- path normalisation (PathNormalizer) ---
    PATH_TOO_LONG(414, "the raw path is longer than 2,048 characters"),
    QUERY_TOO_LONG(414, "the raw query is longer than 4,096 characters"),
    BAD_PERCENT_ENCODING(400, "a % not followed by two hex digits"),
    DOUBLE_ENCODING(400, "a percent-encoded %"),
    ENCODED_SLASH(400, "%2F in the path"),
    ENCODED_BACKSLASH(400, "%5C in the path"),
    ENCODED_DOT(400, "%2E in the path"),
    ENCODED_DELIMITER(400, "a percent-encoded ; ? or #"),
    BAD_UTF8(400, "percent-encoded bytes that are not UTF-8"),
    NON_ASCII(400, "a byte outside ASCII in the path"),
    CONTROL_CHARACTER(400, "a control character in the path"),
    NUL_BYTE(400, "a NUL byte in the path"),
    BACKSLASH(400, "a raw backslash in the path"),
    BAD_CHARACTER(400, "a character no mapped path has"),
    DOT_SEGMENT(400, "a . or .. segment"),
    EMPTY_SEGMENT(400, "an empty segment (//)"),
    PATH_PARAMETER(400, "a ;parameter in a segment"),
    COLON_IN_PATH(400, "a colon in the path"),
    TRAILING_DOT_OR_SPACE(400, "a segment ending in a dot or a space"),

    // --- mapping, authorization, site, quota, size ---
    UNMAPPED_PATH(404, "no published mapping matches the path; never forwarded"),
    METHOD_NOT_ALLOWED(405, "a method outside the endpoint's (or the gateway service's) allow-list"),
    CLIENT_CERTIFICATE_REQUIRED(403, "a certificate endpoint, and no device of the request presented a certificate"),
    TOKEN_REQUIRED(401, "a token endpoint, and no device of the request presented a token"),
    WRONG_SITE(403, "a device of another site on a site listed in site-bound"),
    QUOTA_EXCEEDED(429, "the endpoint's request or egress budget is used up for this window (Retry-After)"),
    DEVICE_QUOTA_EXCEEDED(429, "the device's own budget on the endpoint is used up for this window (Retry-After)"),
    REQUEST_TOO_LARGE(413, "the body is larger than the endpoint's max-request-bytes"),
    BODY_TOO_SLOW(408, "the body arrives more slowly than the minimum rate"),
    BODY_STALLED(408, "the body stopped arriving"),
    DEVICE_BODY_BROKEN(400, "the device's chunked body is broken"),
    BAD_URL(400, "cmg explain, POST /api/explain: the URL to explain cannot be read"),

    // --- the channel, per request (gateway side) ---
    NO_CONNECTION_POINT(503, "no connection point of the endpoint's site has a channel up"),
    CHANNEL_LOST(502, "the channel went down under the request"),
    SITE_TIMEOUT(504, "the site's answer did not begin within timeouts.request"),
    WEBSOCKET_REFUSED_BY_SITE(502, "the internal server did not accept the WebSocket upgrade"),

    // --- the channel connector (docs/channel.md) ---
    CHANNEL_CERTIFICATE_REQUIRED(401, "a channel without a client certificate"),
    CHANNEL_CERTIFICATE_UNREGISTERED(403, "the point's certificate is not registered (cmg connection-point register)"),
    CHANNEL_CERTIFICATE_INVALID(403, "the point's certificate is outside its validity dates"),
    CHANNEL_TOO_MANY_PENDING(403, "too many connections not yet admitted, in all or from one address"),
    CHANNEL_HELLO_TIMEOUT(403, "no welcome within the header timeout"),
    CHANNEL_HELLO_FAILED(403, "the hello stream failed"),
    CHANNEL_HELLO_REFUSED(403, "the point answered the hello with an error"),
    CHANNEL_DUPLICATE(
            409, "the point reached this instance by a second address and keeps its first channel (not counted)"),
    CHANNEL_MESSAGE_MALFORMED(400, "the welcome is not the JSON it should be"),
    CHANNEL_PROTOCOL_UNSUPPORTED(400, "the point speaks another channel protocol version"),
    CONNECTION_POINT_UNREGISTERED(
            403, "certificate and connection ID are not registered together, or were unregistered"),

    // --- the connection point, per request (carried back in X-OpenCMG-Refusal) ---
    MAPPING_NOT_REPLICATED(503, "the connection point has no mapping for the endpoint yet"),
    NOT_ALLOWED_BY_MAPPING(403, "method or path outside the point's copy of the mapping"),
    INTERNAL_URL_NOT_ALLOWED(403, "the internal URL is outside the point's allow-list"),
    TARGET_UNPARSEABLE(400, "the forwarded target cannot be read at the point"),
    INTERNAL_SERVER_UNREACHABLE(502, "the point could not reach the internal server"),
    INTERNAL_SERVER_TIMEOUT(504, "the internal server did not answer in time"),

    // --- client notifications ---
    BAD_WEBSOCKET_UPGRADE(400, "a WebSocket upgrade the gateway cannot take (not version 13, no key)"),
    NOTIFICATION_CHANNELS_FULL(
            503, "notifications.max-channels, or the device's notifications.max-per-device, reached (Retry-After: 60)"),
    SENDER_NOT_ALLOWED(403, "connection point POST /notifications: a sender not in notifications.senders"),
    BAD_NOTIFICATION(
            400,
            "connection point POST /notifications: no id/message/devices, both devices and all, or over its limits"),
    NOTIFICATION_TOO_LARGE(413, "connection point POST /notifications: a larger body than a notification may have"),
    NO_CHANNEL(503, "connection point POST /notifications: no channel to any gateway instance"),

    // --- client certificates (auth-pki; the pki module's RefusalReason, same codes) ---
    NO_CERTIFICATE(403, "there is no certificate to validate (cmg pki verify, cmg explain without one)"),
    UNTRUSTED_ROOT(403, "the chain ends at no trusted root"),
    INCOMPLETE_CHAIN(403, "an intermediate is missing"),
    NOT_IN_CTL(403, "the root is not in the certificate trust list"),
    EXPIRED(403, "a certificate of the chain is past its notAfter"),
    NOT_YET_VALID(403, "a certificate of the chain is before its notBefore"),
    WRONG_EKU(403, "the leaf lacks the client authentication extended key usage"),
    NOT_A_CA(403, "an issuer is not a CA"),
    PATH_LENGTH_EXCEEDED(403, "more CA certificates below an issuer than its path length constraint allows"),
    INVALID_KEY_USAGE(403, "a key usage does not allow what the certificate is used for"),
    NAME_CONSTRAINTS(403, "a name outside the name constraints"),
    UNKNOWN_CRITICAL_EXTENSION(403, "a critical extension the validator does not know"),
    BAD_SIGNATURE(403, "a signature does not verify"),
    INVALID_PATH(403, "the path fails validation for another reason"),
    REVOKED(403, "a certificate of the chain is revoked"),
    REVOCATION_UNKNOWN(403, "the revocation status cannot be learnt (hard revocation mode)"),
    CHAIN_TOO_DEEP(403, "more certificates below the root than max-chain-depth allows"),
    UNSUPPORTED_KEY(403, "a key algorithm the gateway refuses (DSA)"),
    MALFORMED_CERTIFICATE(
            403, "an encoding strict validators refuse (duplicate extensions, mismatched algorithms, v1 CA)"),
    NAME_CONSTRAINTS_TOO_COMPLEX(403, "more name-constraint work than the cap allows"),
    INVALID_POLICY(403, "certificate policy processing left no valid policy where one is required"),

    // --- tokens (auth-token) and the token service CCM_STS ---
    INVALID_TOKEN(401, "a malformed, forged, wrong-audience or unknown-key token, or one of an unknown device"),
    TOKEN_EXPIRED(401, "the token is past its exp"),
    TOKEN_NOT_YET_VALID(401, "the token is before its nbf"),
    TOKEN_BLOCKED(401, "the bulk token is blocked"),
    DEVICE_BLOCKED(401, "the device is blocked"),
    DEVICE_DELETED(401, "the token was issued to a device since deleted"),
    UNKNOWN_STS_OPERATION(404, "a path under CCM_STS other than register, renew and token"),
    BULK_TOKEN_REQUIRED(401, "a registration without a bulk token"),
    DEVICE_TOKEN_REQUIRED(401, "a renewal or access token request without a device token"),
    MALFORMED_REQUEST(400, "the token service's body is not a JSON object"),
    BAD_PUBLIC_KEY(400, "a registration's key is not EC P-256 or RSA 2048-4096 bit"),
    BAD_DEVICE_NAME(400, "a registration's device name is empty, too long or not printable"),
    INVALID_PROOF(401, "the proof of possession of the device's key does not verify"),
    REGISTRATION_LIMIT_REACHED(403, "the bulk token has registered its maximum of devices"),
    STORED_KEY_UNREADABLE(500, "a registered device's stored key cannot be read back"),

    // --- Entra ID (auth-entra) and AADAuthInfo ---
    WRONG_AUDIENCE(401, "the Entra token is for another application"),
    TENANT_NOT_ONBOARDED(401, "the Entra token's tenant is not onboarded"),
    TENANT_UNKNOWN(404, "AADAuthInfo for a tenant that is not onboarded"),
    ENTRA_MISCONFIGURED(503, "the auth-entra settings are invalid; Entra ID devices are refused until they are fixed"),
    JWKS_UNAVAILABLE(503, "the tenant's signing keys cannot be fetched"),
    MISSING_TENANT_ID(400, "AADAuthInfo without TenantID"),

    // --- content (role-content) ---
    BAD_PACKAGE_ID(400, "pid missing or malformed"),
    DEVICE_CREDENTIAL_REQUIRED(
            403, "content tokens go to devices that proved who they are, not to bulk or device tokens"),
    PACKAGE_NOT_FOUND(404, "no such package (or version)"),
    CONTENT_TOKEN_MISSING(401, "no Authorization: Bearer content access token"),
    CONTENT_TOKEN_INVALID(401, "the content access token is malformed, forged, not yet valid or has no pid"),
    CONTENT_TOKEN_EXPIRED(401, "the content access token is past its exp"),
    CONTENT_TOKEN_WRONG_PACKAGE(403, "the content access token is for another package"),
    BAD_VERSION(400, "version is not a number"),
    CONTENT_STORE_UNAVAILABLE(503, "the content store (filesystem or Azure) did not answer"),
    SIGNATURE_INVALID(403, "an altered signed URL"),
    SIGNATURE_EXPIRED(403, "an expired signed URL (said only of a genuine signature)"),
    CONTENT_NOT_FOUND(404, "no such file"),
    CONTENT_MISSING(404, "the catalog has the file but the store does not"),
    MULTIPLE_RANGES_UNSUPPORTED(416, "several byte ranges (Content-Range: bytes */SIZE)"),
    RANGE_NOT_SATISFIABLE(416, "a range past the end (Content-Range: bytes */SIZE)"),
    RANGE_MALFORMED(416, "an unreadable Range (Content-Range: bytes */SIZE)"),
    RANGE_UNIT_UNSUPPORTED(416, "a Range in another unit than bytes (Content-Range: bytes */SIZE)"),

    // --- the admin API, /metrics and the console ---
    LOGIN_REQUIRED(401, "no credentials and no console session"),
    MALFORMED_CREDENTIALS(401, "an Authorization header that is not HTTP Basic user:password"),
    BAD_CREDENTIALS(401, "a wrong user name or password (the throttle's delay grows)"),
    LOGIN_THROTTLED(429, "a sign-in within the delay after failed ones (Retry-After)"),
    USER_NAME_TOO_LONG(400, "a user name longer than 128 characters (no administrator has one)"),
    CROSS_SITE(403, "a request a page of another site sent (Sec-Fetch-Site, Origin)"),
    UNSUPPORTED_CONTENT_TYPE(415, "a body in another Content-Type than the API takes");

    private static final Map<String, Refusal> BY_CODE =
            Stream.of(values()).collect(Collectors.toUnmodifiableMap(Refusal::code, Function.identity()));

    private final int status;
    private final String code;
    private final String description;

    Refusal(int status, String description) {
        this.status = status;
        this.code = name().toLowerCase(Locale.ROOT);
        this.description = description;
    }

    /** The HTTP status the refusal is answered with. */
    public int status() {
        return status;
    }

    /** The stable lower_snake_case reason code: the body's second word, the log's reason=, the metrics' reason tag. */
    public String code() {
        return code;
    }

    /** One line saying when it happens, as docs/security.md shows it. */
    public String description() {
        return description;
    }

    /** The refusal of a code (one a connection point sent back, one a certificate validator gave), if it is one. */
    public static Optional<Refusal> ofCode(String code) {
        return Optional.ofNullable(code == null ? null : BY_CODE.get(code));
    }

    /** "STATUS code", the one-line body every refusal is answered with (without its line end). */
    @Override
    public String toString() {
        return status + " " + code;
    }
}
