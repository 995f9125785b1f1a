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
}
