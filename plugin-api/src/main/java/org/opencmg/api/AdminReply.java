package org.opencmg.api;

import java.util.Map;

/** An {@link AdminResource}'s answer: a status and a value the gateway writes as JSON (snake_case). */
public record AdminReply(int status, Object json) {

    public static AdminReply ok(Object json) {
        return new AdminReply(200, json);
    }

    public static AdminReply error(int status, String message) {
        return new AdminReply(status, Map.of("error", message));
    }
}
