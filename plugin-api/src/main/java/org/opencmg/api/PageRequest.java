package org.opencmg.api;

import java.util.Map;

/**
 * One request to an {@link AdminPage}.
 *
 * @param subPath   what follows the page's path, "" or "/..."
 * @param params    query and form fields (the first value of each)
 * @param actor     the administrator (for the audit log)
 * @param csrfToken the session's CSRF token, for the page's forms
 * @param action    the URL of the page itself (for form actions)
 */
public record PageRequest(
        String method, String subPath, Map<String, String> params, String actor, String csrfToken, String action) {

    public PageRequest {
        params = Map.copyOf(params);
    }

    /** A field's value, "" when absent. */
    public String param(String name) {
        return params.getOrDefault(name, "");
    }

    /** The hidden CSRF field for a form of this page. */
    public String csrfField() {
        return Html.csrfField(csrfToken);
    }
}
