package org.opencmg.api;

/**
 * An {@link AdminPage}'s answer: HTML content for the layout, or (after a change) a redirect back
 * to the page with a message for the administrator (post/redirect/get).
 *
 * @param html     the main content (already escaped), or null for a redirect
 * @param message  a one-line result shown on the next page (plain text; the console escapes it)
 * @param redirect a path relative to the page ("" = the page itself), or null
 */
public record PageReply(int status, String html, String message, boolean failed, String redirect) {

    public static PageReply ok(String html) {
        return new PageReply(200, html, null, false, null);
    }

    /** Back to the page, telling what was done. */
    public static PageReply done(String message) {
        return new PageReply(303, null, message, false, "");
    }

    /** Back to the page, telling why nothing was done. */
    public static PageReply refused(String message) {
        return new PageReply(303, null, message, true, "");
    }

    public static PageReply error(int status, String message) {
        return new PageReply(status, null, message, true, null);
    }
}
