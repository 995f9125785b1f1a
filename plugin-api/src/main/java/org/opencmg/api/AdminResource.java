package org.opencmg.api;

import org.pf4j.ExtensionPoint;

/**
 * A plugin's part of the admin REST API: {@code /api/<name>[/...]}, behind the same admin login
 * and audit as the rest. Refuse bad input with {@link AdminReply#error}; never put a secret in a
 * reply except where the administrator must see it once (a new token).
 */
public interface AdminResource extends ExtensionPoint {

    /** The path segment under /api/ ("tokens"). */
    String name();

    AdminReply handle(AdminCall call);

    /**
     * True if this call's body should reach {@link #handle} unread, as {@link AdminCall#bodyStream()}
     * (an upload of any size), instead of read whole and bounded to 1 MiB.
     *
     * @param subPath as in {@link AdminCall#subPath()}
     */
    default boolean streamsBody(String method, String subPath) {
        return false;
    }
}
