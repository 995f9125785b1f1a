package org.opencmg.api;

import java.util.Map;

/**
 * One admin API call to an {@link AdminResource}.
 *
 * @param subPath what follows /api/&lt;name&gt;, "" or "/..."
 * @param actor   the administrator making the call (for the audit log)
 */
public record AdminCall(String method, String subPath, Map<String, String> query, byte[] body, String actor) {
}
