package org.opencmg.server.admin;

import org.opencmg.api.Refusal;

/**
 * An admin operation's refusal with its status; the message is shown to the administrator. One with
 * a reason code is a refusal of the API request itself: logged and counted, the reason sent beside
 * the message.
 */
public final class ApiError extends RuntimeException {
    public final int status;
    public final String reason;

    public ApiError(int status, String message) {
        this(status, null, message);
    }

    /** A refusal of the API request itself, with its reason from the catalogue. */
    ApiError(Refusal refusal, String message) {
        this(refusal.status(), refusal.code(), message);
    }

    ApiError(int status, String reason, String message) {
        super(message, null, false, false);
        this.status = status;
        this.reason = reason;
    }
}
