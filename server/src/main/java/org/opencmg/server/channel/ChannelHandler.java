package org.opencmg.server.channel;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.pipeline.MappingSnapshot;
import org.opencmg.server.pipeline.Refusals;
import org.opencmg.server.pipeline.RequestLengthStep;
import org.opencmg.server.pipeline.RequestRefused;
import org.opencmg.server.store.LiveState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's end of the channel (see {@link ChannelProtocol}): admits registered connection
 * points, hands them device requests on their pulls, and takes their answers back.
 */
public final class ChannelHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelHandler.class);

    private final String instance;
    private final ChannelRegistry registry;
    private final ChannelAdmission admission;
    private final LiveState live;
    private final Refusals refusals;
    private final Duration heartbeatInterval;
    private final Clock clock;
    private final Object mappingsChanged = new Object();

    public ChannelHandler(String instance, ChannelRegistry registry, ChannelAdmission admission, LiveState live,
                          Refusals refusals, Duration heartbeatInterval, Clock clock) {
        super(InvocationType.BLOCKING);
        this.instance = instance;
        this.registry = registry;
        this.admission = admission;
        this.live = live;
        this.refusals = refusals;
        this.heartbeatInterval = heartbeatInterval;
        this.clock = clock;
        live.onMappingsChange(s -> {
            synchronized (mappingsChanged) {
                mappingsChanged.notifyAll();
            }
        });
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        try {
            if (ChannelProtocol.HELLO.equals(path) && "POST".equals(request.getMethod())) {
                hello(request, response, callback);
                return true;
            }
            Channel channel = registry.session(request.getHeaders().get(ChannelProtocol.SESSION_HEADER),
                            request.getConnectionMetaData().getConnection())
                    .orElseThrow(() -> new RequestRefused(403, "channel_session_unknown", "no open session on this connection"));
            if (ChannelProtocol.HEARTBEAT.equals(path)) {
                heartbeat(channel, request, response, callback);
            } else if (ChannelProtocol.MAPPINGS.equals(path)) {
                mappings(channel, request, response, callback);
            } else if (ChannelProtocol.PULL.equals(path)) {
                pull(channel, response, callback);
            } else if (path.startsWith(ChannelProtocol.RESPONSE) && "POST".equals(request.getMethod())) {
                answer(channel, path.substring(ChannelProtocol.RESPONSE.length()), request, response, callback);
            } else {
                throw new RequestRefused(404, "channel_path_unknown", path);
            }
        } catch (RequestRefused r) {
            refusals.record(r, request.getMethod(), path, remote(request), "channel");
            if (!response.isCommitted()) {
                response.setStatus(r.status());
                Content.Sink.write(response, true, r.status() + " " + r.reason() + "\n", callback);
            } else {
                callback.failed(r);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("channel stream ended: {}", e.toString());
            callback.failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.failed(e);
        }
        return true;
    }

    private void hello(Request request, Response response, Callback callback) throws IOException {
        var tls = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        X509Certificate[] chain = tls == null ? null : tls.peerCertificates();
        if (chain == null || chain.length == 0) {
            throw new RequestRefused(401, "channel_certificate_required", "no client certificate");
        }
        try {
            chain[0].checkValidity(java.util.Date.from(clock.instant()));
        } catch (CertificateException e) {
            throw new RequestRefused(403, "channel_certificate_invalid", e.getMessage());
        }
        JsonNode hello = readJson(request, ChannelAdmission.MAX_HELLO_BYTES);
        boolean speaksOurs = false;
        for (JsonNode v : hello.path("protocols")) {
            speaksOurs |= v.asInt() == ChannelProtocol.VERSION;
        }
        if (!speaksOurs) {
            throw new RequestRefused(400, "channel_protocol_unsupported", "offered " + hello.path("protocols"));
        }
        String thumbprint = Thumbprints.sha256(chain[0]);
        String connectionId = hello.path("connection_id").asText("");
        // The connection ID is a credential: a refusal says that one was presented, never which.
        var registration = live.registeredPoints().find(thumbprint, connectionId).orElseThrow(() -> new RequestRefused(403,
                "connection_point_unregistered", "certificate " + thumbprint + " with the connection ID it presented is not registered"));
        Channel channel = registry.open(registration, request.getConnectionMetaData().getConnection(), remote(request));
        admission.admit(request.getConnectionMetaData().getConnection());
        var body = new LinkedHashMap<String, Object>();
        body.put("protocol", ChannelProtocol.VERSION);
        body.put("session", channel.session);
        body.put("instance", instance);
        body.put("connection_point", registration.name());
        body.put("site", registration.site());
        body.put("heartbeat_millis", heartbeatInterval.toMillis());
        json(response, callback, 200, body);
    }

    private void heartbeat(Channel channel, Request request, Response response, Callback callback) throws IOException {
        JsonNode beat = readJson(request, ChannelAdmission.MAX_HELLO_BYTES);
        if (live.registeredPoints().find(channel.point.thumbprintSha256(), channel.point.connectionId()).isEmpty()) {
            registry.connectionClosed(channel.connection);
            throw new RequestRefused(403, "connection_point_unregistered", channel.point.name() + " was unregistered");
        }
        registry.heartbeat(channel, beat.path("rtt_micros").asLong(-1));
        json(response, callback, 200, Map.of("mappings_revision", live.mappings().revision(), "instance", instance));
    }

    private void mappings(Channel channel, Request request, Response response, Callback callback)
            throws IOException, InterruptedException {
        long after = parseLong(Request.extractQueryParameters(request).getValue("after"), -1);
        long deadline = System.currentTimeMillis() + ChannelProtocol.LONG_POLL_MILLIS;
        MappingSnapshot snapshot = live.mappings();
        synchronized (mappingsChanged) {
            while (snapshot.revision() <= after && channel.isOpen() && System.currentTimeMillis() < deadline) {
                mappingsChanged.wait(Math.max(1, Math.min(1000, deadline - System.currentTimeMillis())));
                snapshot = live.mappings();
            }
        }
        if (snapshot.revision() <= after) {
            response.setStatus(204);
            callback.succeeded();
            return;
        }
        var endpoints = snapshot.endpoints().stream()
                .filter(e -> e.site().equals(channel.site()))
                .map(e -> Map.of("external_path", e.endpoint().externalPath(), "internal_url", e.endpoint().internalUrl(),
                        "methods", e.endpoint().methods()))
                .toList();
        json(response, callback, 200, Map.of("revision", snapshot.revision(), "endpoints", endpoints));
    }

    /**
     * Hands one device request to the connection point: its head, then its body, streamed. On any
     * failure the pull stream is reset, never ended normally, so a cut body cannot pass as whole.
     */
    private void pull(Channel channel, Response response, Callback callback) throws InterruptedException {
        long deadline = System.currentTimeMillis() + ChannelProtocol.LONG_POLL_MILLIS;
        Exchange exchange;
        do {
            exchange = channel.take(Math.max(1, deadline - System.currentTimeMillis()));
        } while (exchange != null && exchange.answer.isDone()); // the device gave up meanwhile
        if (exchange == null) {
            response.setStatus(204);
            callback.succeeded();
            return;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        if (!exchange.hasBody) {
            // Most device requests (GET, HEAD) have no body: head and end of stream in one frame.
            try {
                response.write(true, java.nio.ByteBuffer.wrap(FrameHead.encode(exchange.head)), callback);
            } catch (IOException e) {
                exchange.lost("pull stream broke: " + e.getMessage());
                callback.failed(e);
            }
            return;
        }
        OutputStream out = Content.Sink.asOutputStream(response);
        try {
            out.write(FrameHead.encode(exchange.head));
            out.flush();
            copyBody(exchange, out);
            out.close();
        } catch (RequestRefused r) {
            exchange.answer.completeExceptionally(r); // e.g. the body crossed the endpoint's limit
            callback.failed(r);
            return;
        } catch (IOException e) {
            exchange.lost("pull stream broke: " + e.getMessage());
            callback.failed(e);
            return;
        }
        callback.succeeded();
    }

    private static void copyBody(Exchange exchange, OutputStream out) throws IOException {
        byte[] buf = new byte[16 * 1024];
        InputStream in = exchange.body;
        int n;
        while ((n = readDevice(in, buf)) >= 0) {
            exchange.bytesIn.addAndGet(n);
            out.write(buf, 0, n);
        }
    }

    /** A failure reading the device's body is the device's, not the channel's. */
    private static int readDevice(InputStream in, byte[] buf) {
        try {
            return in.read(buf);
        } catch (IOException e) {
            throw RequestLengthStep.bodyBroken(e);
        }
    }

    /** The site's answer to one exchange: hand its head and body stream to the waiting device. */
    private void answer(Channel channel, String id, Request request, Response response, Callback callback)
            throws IOException, InterruptedException {
        InputStream body = Content.Source.asInputStream(request);
        Exchange exchange = channel.inFlight(id);
        if (exchange == null) {
            refusals.record(new RequestRefused(410, "exchange_unknown", "no device waits for " + id),
                    request.getMethod(), request.getHttpURI().getPath(), remote(request), "channel");
            gone(response, callback, body, "exchange_unknown");
            return;
        }
        FrameHead.Response head = FrameHead.read(body, FrameHead.Response.class);
        var done = new CompletableFuture<Void>();
        if (!exchange.answer.complete(new Exchange.Delivery(head, body, done))) {
            refusals.record(new RequestRefused(410, "exchange_gone", "the device request " + id + " already ended"),
                    request.getMethod(), request.getHttpURI().getPath(), remote(request), "channel");
            gone(response, callback, body, "exchange_gone");
            return;
        }
        try {
            done.get();
            response.setStatus(204);
            callback.succeeded();
        } catch (java.util.concurrent.ExecutionException e) {
            gone(response, callback, body, "device_gone");
        }
    }

    /** How much of an answer nobody waits for is read and dropped, at most, before the stream is reset. */
    private static final long MAX_DISCARD = 64L * 1024 * 1024;

    /**
     * Answers 410 on a response stream no device waits for, then drops what the connection point
     * still sends until it stops the stream itself (it resets it on seeing the 410). Resetting it
     * from here instead leaves the DATA frames already in flight arriving on a closed stream, which
     * the HTTP/2 server counts as abuse (GOAWAY enhance_your_calm): the whole channel, and every
     * other request on it, would be lost because one device went away.
     */
    private static void gone(Response response, Callback callback, InputStream body, String reason) {
        try {
            response.setStatus(410);
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                out.write(("410 " + reason + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            long dropped = 0;
            try {
                byte[] buf = new byte[16 * 1024];
                int n;
                while (dropped <= MAX_DISCARD && (n = body.read(buf)) >= 0) {
                    dropped += n;
                }
            } catch (IOException e) {
                LOG.debug("answer stream ({}) stopped by the connection point after {} more bytes: {}", reason, dropped,
                        e.toString());
                callback.succeeded();
                return;
            }
            LOG.debug("answer stream ({}) ended after {} more bytes", reason, dropped);
            if (dropped > MAX_DISCARD) {
                callback.failed(new IOException("the connection point did not stop an answer nobody waits for"));
                return;
            }
            callback.succeeded();
        } catch (IOException e) {
            callback.failed(e);
        }
    }

    /** Reads a small JSON control message, refusing it as soon as it grows past {@code max} bytes. */
    private static JsonNode readJson(Request request, int max) throws IOException {
        long declared = request.getLength();
        if (declared > max) {
            throw new RequestRefused(413, "channel_message_too_large", declared + " bytes");
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] data = in.readNBytes(max + 1);
            if (data.length > max) {
                throw new RequestRefused(413, "channel_message_too_large", data.length + " bytes");
            }
            return data.length == 0 ? FrameHead.JSON.createObjectNode() : FrameHead.JSON.readTree(data);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new RequestRefused(400, "channel_message_malformed", e.getOriginalMessage());
        }
    }

    private static void json(Response response, Callback callback, int status, Object body) throws IOException {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, new String(FrameHead.JSON.writeValueAsBytes(body), StandardCharsets.UTF_8), callback);
    }

    private static long parseLong(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    static String remote(Request request) {
        return request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : "?";
    }

    /** For the gateway's status: the channels of this instance. */
    public List<Map<String, Object>> channels() {
        return registry.snapshot();
    }
}
