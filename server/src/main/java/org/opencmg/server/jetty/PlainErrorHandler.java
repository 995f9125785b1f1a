package org.opencmg.server.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Errors Jetty raises itself (malformed framing, CL with TE, bare LF, oversized headers, ...)
 * are answered like our own refusals: one plain line, no stack trace, no server detail, and
 * logged and counted under reason {@code bad_message}.
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
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        refusals.record(new RequestRefused(status, reason(status), reason), "", "", "?", "");
        fields.put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        return ByteBuffer.wrap((status + " " + reason(status) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        refusals.record(new RequestRefused(code, reason(code), message), request.getMethod(),
                request.getHttpURI().getPathQuery(), "?", "");
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        Content.Sink.write(response, true, code + " " + reason(code) + "\n", callback);
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "bad_message";
            case 404 -> "not_found";
            case 408 -> "request_timeout";
            case 413 -> "request_too_large";
            case 414 -> "uri_too_long";
            case 426 -> "upgrade_required"; // an HTTP/2 preface on the HTTP/1.1 client connector
            case 431 -> "headers_too_large";
            case 505 -> "http_version_not_supported";
            default -> status >= 500 ? "server_error" : "refused";
        };
    }
}
