package org.opencmg.server.refusal;

import java.util.Map;
import org.opencmg.api.Refusal;

/**
 * Thrown by a pipeline step to refuse a request. Carries the status the device sees, a stable
 * reason code from the catalogue ({@link Refusal}: logged, counted, sent as the body) and a detail
 * for the log only. No stack trace: a refusal is an expected outcome, not an error.
 */
public final class RequestRefused extends RuntimeException {

    private final int status;
    private final String reason;
    private final String detail;
    private final Map<String, String> headers;

    public RequestRefused(Refusal refusal, String detail) {
        this(refusal, detail, Map.of());
    }

    /** With answer headers a refusal must carry (416's Content-Range, 503's Retry-After). */
    public RequestRefused(Refusal refusal, String detail, Map<String, String> headers) {
        this(refusal.status(), refusal.code(), detail, headers);
    }

    /**
     * A refusal decided elsewhere, passed on with the status and code it came with: a connection
     * point's {@code X-OpenCMG-Refusal}, a plugin's {@code ServiceResponse}, an admin API error, a
     * status Jetty chose. Codes decided here come from {@link Refusal}.
     */
    public RequestRefused(int status, String reason, String detail) {
        this(status, reason, detail, Map.of());
    }

    /** {@link #RequestRefused(int, String, String)} with the answer headers the refusal came with. */
    public RequestRefused(int status, String reason, String detail, Map<String, String> headers) {
        super(status + " " + reason, null, false, false);
        this.status = status;
        this.reason = reason;
        this.detail = detail == null ? "" : detail;
        this.headers = Map.copyOf(headers);
    }

    public Map<String, String> headers() {
        return headers;
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
