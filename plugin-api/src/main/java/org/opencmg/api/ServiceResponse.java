package org.opencmg.api;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link GatewayService}'s answer. A refusal carries a reason code that the gateway logs and
 * counts like its own refusals.
 *
 * @param reason for a refusal (status 4xx/5xx): its {@link Refusal#code()}; null otherwise
 * @param stream a body the gateway copies without buffering it (then {@code body} is ignored and
 *               Content-Length is the stream's length); null for the in-memory {@code body}
 */
public record ServiceResponse(
        int status, String contentType, byte[] body, Map<String, String> headers, String reason, BodyStream stream) {

    public ServiceResponse {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public ServiceResponse(int status, String contentType, byte[] body, Map<String, String> headers, String reason) {
        this(status, contentType, body, headers, reason, null);
    }

    public static ServiceResponse json(int status, String json) {
        return new ServiceResponse(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of(), null);
    }

    public static ServiceResponse text(int status, String contentType, String text) {
        return new ServiceResponse(status, contentType, text.getBytes(StandardCharsets.UTF_8), Map.of(), null);
    }

    /** A streamed answer (a download): copied with constant memory; for HEAD only the headers are sent. */
    public static ServiceResponse streamed(
            int status, String contentType, Map<String, String> headers, BodyStream stream) {
        return new ServiceResponse(status, contentType, null, headers, null, Objects.requireNonNull(stream, "stream"));
    }

    /** A refusal: answered "STATUS reason" with the refusal's status, logged with {@code detail}, counted by reason. */
    public static ServiceResponse refuse(Refusal refusal, String detail) {
        return refuse(refusal, detail, Map.of());
    }

    /**
     * A refusal with headers the device needs to act on it; only Content-Range (416), Retry-After
     * and WWW-Authenticate are passed on.
     */
    public static ServiceResponse refuse(Refusal refusal, String detail, Map<String, String> headers) {
        var all = new LinkedHashMap<String, String>(headers);
        all.put("X-Refusal-Detail", detail);
        return new ServiceResponse(
                refusal.status(),
                "text/plain; charset=utf-8",
                (refusal + "\n").getBytes(StandardCharsets.UTF_8),
                all,
                refusal.code());
    }
}
