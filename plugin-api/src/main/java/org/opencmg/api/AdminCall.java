package org.opencmg.api;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Map;

/**
 * One admin API call to an {@link AdminResource}.
 *
 * @param subPath    what follows /api/&lt;name&gt;, "" or "/..."
 * @param body       the request body read whole (at most 1 MiB); empty when it is streamed
 * @param actor      the administrator making the call (for the audit log)
 * @param bodyStream the request body unread, for a call the resource asked to stream
 *                   ({@link AdminResource#streamsBody}); null otherwise. Read it during
 *                   {@code handle}; the gateway closes it.
 */
public record AdminCall(
        String method, String subPath, Map<String, String> query, byte[] body, String actor, InputStream bodyStream) {

    public AdminCall {
        body = body == null ? new byte[0] : body;
    }

    public AdminCall(String method, String subPath, Map<String, String> query, byte[] body, String actor) {
        this(method, subPath, query, body, actor, null);
    }

    /** The body as a stream, whether it was streamed or read whole. */
    public InputStream stream() {
        return bodyStream != null ? bodyStream : new ByteArrayInputStream(body);
    }
}
