package org.opencmg.server.pipeline;

/**
 * Thrown by a pipeline step to refuse a request. Carries the status the device sees, a stable
 * reason code (logged, counted, sent as the body) and a detail for the log only.
 * No stack trace: a refusal is an expected outcome, not an error.
 */
public final class RequestRefused extends RuntimeException {

    private final int status;
    private final String reason;
    private final String detail;

    public RequestRefused(int status, String reason, String detail) {
        super(status + " " + reason, null, false, false);
        this.status = status;
        this.reason = reason;
        this.detail = detail == null ? "" : detail;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    public String detail() {
        return detail;
    }
}
