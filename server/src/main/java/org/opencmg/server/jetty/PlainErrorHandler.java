package org.opencmg.server.jetty;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Errors Jetty raises itself (malformed framing, CL with TE, bare LF, oversized headers, ...)
 * are answered like our own refusals: one plain line, no stack trace, no server detail, and
 * logged and counted under reason {@code bad_message}. Jetty 12.1 sends every one of them through
 * {@link #generateResponse} (its {@code badMessageError}, deprecated for removal, is no longer called).
 */
final class PlainErrorHandler extends ErrorHandler {

    private final Refusals refusals;

    PlainErrorHandler(Refusals refusals) {
        this.refusals = refusals;
        setShowStacks(false);
        setShowCauses(false);
        setShowMessageInTitle(false);
        setShowOrigin(false);
    }

    @Override
    protected void generateResponse(
            Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        refusals.record(
                new RequestRefused(code, reason(code).code(), message),
                request.getMethod(),
                request.getHttpURI().getPathQuery(),
                "?",
                "");
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        Content.Sink.write(response, true, code + " " + reason(code).code() + "\n", callback);
    }

    /** The catalogue's refusal for a status Jetty chose; answered with Jetty's status (a 4xx without its own code is bad_message). */
    static Refusal reason(int status) {
        return switch (status) {
            case 404 -> Refusal.NOT_FOUND;
            case 408 -> Refusal.REQUEST_TIMEOUT;
            case 413 -> Refusal.REQUEST_TOO_LARGE;
            case 414 -> Refusal.URI_TOO_LONG;
            case 426 -> Refusal.UPGRADE_REQUIRED; // an HTTP/2 preface on the HTTP/1.1 client connector
            case 431 -> Refusal.HEADERS_TOO_LARGE;
            case 505 -> Refusal.HTTP_VERSION_NOT_SUPPORTED;
            default -> status >= 500 ? Refusal.SERVER_ERROR : Refusal.BAD_MESSAGE;
        };
    }
}
