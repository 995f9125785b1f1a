package org.opencmg.api;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A {@link GatewayService}'s answer. A refusal carries a reason code that the gateway logs and
 * counts like its own refusals.
 *
 * @param reason for a refusal (status 4xx/5xx): a stable lower_snake_case code; null otherwise
 */
public record ServiceResponse(int status, String contentType, byte[] body, Map<String, String> headers, String reason) {

    public ServiceResponse {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public static ServiceResponse json(int status, String json) {
        return new ServiceResponse(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of(), null);
    }

    public static ServiceResponse text(int status, String contentType, String text) {
        return new ServiceResponse(status, contentType, text.getBytes(StandardCharsets.UTF_8), Map.of(), null);
    }

    /** A refusal: answered "STATUS reason", logged with {@code detail}, counted by reason. */
    public static ServiceResponse refuse(int status, String reason, String detail) {
        return new ServiceResponse(status, "text/plain; charset=utf-8",
                (status + " " + reason + "\n").getBytes(StandardCharsets.UTF_8), Map.of("X-Refusal-Detail", detail), reason);
    }
}
