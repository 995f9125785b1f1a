package org.opencmg.server.connectionpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpField;
import org.opencmg.server.channel.ForwardedHeaders;
import org.opencmg.server.channel.FrameHead;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 7 and 8 at the connection point: maps a device request's external path to the internal
 * URL by the replicated mappings (a request no mapping allows is refused here too), calls the
 * internal server through the bounded pool and streams its answer back over the channel.
 */
final class InternalForwarder {

    private static final Logger LOG = LoggerFactory.getLogger(InternalForwarder.class);

    private final HttpClient client;
    private final long responseTimeoutMillis;
    private final InternalAllowList allowList;

    InternalForwarder(HttpClient client, long responseTimeoutMillis, InternalAllowList allowList) {
        this.client = client;
        this.responseTimeoutMillis = responseTimeoutMillis;
        this.allowList = allowList;
    }

    /**
     * Serves one exchange and always answers it: whatever fails here (a refusal, a target the HTTP
     * client cannot send, a bug) ends this exchange with a status and a reason, and its pull stream
     * is closed so the body's flow-control window goes back to the channel. An exchange left
     * unanswered would hold the device for the request timeout and, with a body, the channel's
     * window until every other device of the site stalled with it.
     */
    void serve(FrameHead.Request head, InputStream deviceBody, SiteMappings mappings, GatewayLink link) {
        try {
            forward(head, deviceBody, mappings, link);
        } catch (Refusal r) {
            LOG.warn("refused {} {}: {} ({})", head.method(), head.path(), r.reason, r.getMessage());
            link.respond(head.id(), new FrameHead.Response(r.status, null, r.reason), null);
        } catch (RuntimeException | Error e) {
            LOG.warn("exchange {} failed at the connection point: {}", head.id(), e.toString());
            link.respond(head.id(), new FrameHead.Response(502, null, "connection_point_error"), null);
        } finally {
            try {
                deviceBody.close(); // read to its end already, or reset: either way its window is released
            } catch (IOException ignored) {
                // the stream is gone either way
            }
        }
    }

    /** A refusal decided here, answered to the device with its status and reason. */
    private static final class Refusal extends RuntimeException {
        final int status;
        final String reason;

        Refusal(int status, String reason, String detail) {
            super(detail, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }

    private void forward(FrameHead.Request head, InputStream deviceBody, SiteMappings mappings, GatewayLink link) {
        var mapping = mappings.find(head.endpoint()).orElse(null);
        if (mapping == null) {
            throw new Refusal(503, "mapping_not_replicated", "no mapping for " + head.endpoint() + " here yet");
        }
        if (!mapping.methods().contains(head.method())
                || !head.path().toLowerCase(Locale.ROOT).startsWith(mapping.externalPath().toLowerCase(Locale.ROOT))) {
            throw new Refusal(403, "not_allowed_by_mapping", "method or path outside " + mapping.externalPath());
        }
        String target = internalUrl(mapping.internalUrl(), head.path().substring(mapping.externalPath().length()), head.query());
        URI uri;
        try {
            uri = URI.create(target);
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, "target_unparseable", e.getMessage());
        }
        if (!allowList.allows(uri)) {
            throw new Refusal(403, "internal_url_not_allowed", mapping.internalUrl() + " is outside internal.allowed-urls");
        }
        Request request = client.newRequest(uri).method(head.method());
        request.headers(h -> {
            for (List<String> pair : head.headers()) {
                if (pair.size() == 2 && ForwardedHeaders.toSite(pair.get(0))) {
                    h.add(pair.get(0), pair.get(1));
                }
            }
        });
        try {
            var body = new PushbackInputStream(deviceBody, 1);
            int first = body.read();
            if (first >= 0) {
                body.unread(first);
                request.body(new InputStreamRequestContent(headerValue(head, "Content-Type"), body,
                        new org.eclipse.jetty.io.ByteBufferPool.Sized(client.getByteBufferPool(), false, 16 * 1024)));
            }
        } catch (IOException e) {
            LOG.debug("device body for {} broke before it reached the site: {}", head.id(), e.toString());
            return; // the gateway reset the pull: the device is gone
        }
        var listener = new InputStreamResponseListener();
        request.send(listener);
        Response response;
        try {
            response = listener.get(responseTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            LOG.warn("internal server {} failed: {}", target, e.getCause() == null ? e : e.getCause().toString());
            link.respond(head.id(), new FrameHead.Response(502, null, "internal_server_unreachable"), null);
            return;
        } catch (TimeoutException e) {
            request.abort(e);
            link.respond(head.id(), new FrameHead.Response(504, null, "internal_server_timeout"), null);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            request.abort(e);
            return;
        }
        var headers = new ArrayList<List<String>>();
        for (HttpField f : response.getHeaders()) {
            if (ForwardedHeaders.toDevice(f.getName())) {
                headers.add(List.of(f.getName(), f.getValue()));
            }
        }
        InputStream siteBody = listener.getInputStream();
        boolean delivered = link.respond(head.id(), new FrameHead.Response(response.getStatus(), headers, null), siteBody);
        if (!delivered) {
            request.abort(new IOException("the device or the channel went away"));
        }
        try {
            siteBody.close();
        } catch (IOException ignored) {
            // aborting anyway
        }
    }

    static String internalUrl(String base, String rest, String query) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return b + rest + (query == null || query.isEmpty() ? "" : "?" + query);
    }

    private static String headerValue(FrameHead.Request head, String name) {
        for (List<String> pair : head.headers()) {
            if (pair.size() == 2 && pair.get(0).equalsIgnoreCase(name)) {
                return pair.get(1);
            }
        }
        return null;
    }
}
