package org.opencmg.server.channel;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;
import org.eclipse.jetty.util.Promise;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.ForwardedHeaders;
import org.opencmg.server.pipeline.Forwarder;
import org.opencmg.server.pipeline.RequestLengthStep;
import org.opencmg.server.pipeline.Route;
import org.opencmg.server.refusal.RequestRefused;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 5 to 8 of the flow at the gateway: picks a usable channel of the endpoint's site
 * round-robin and opens one HTTP/2 stream on it for the device's request; the site's answer comes
 * back on that stream and is streamed to the device. A body of up to {@value #BUFFERED_BODY} bytes
 * is read whole before the stream opens, so a slow device never holds a stream or an internal
 * connection; a larger one streams after its first {@value #BUFFERED_BODY} bytes arrived. An
 * idempotent request whose channel fails before its answer began, with its whole body in hand, is
 * tried again on another connection point; any other gets 502.
 */
public final class ChannelForwarder implements Forwarder {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelForwarder.class);
    private static final int MAX_ATTEMPTS = 3;
    static final int BUFFERED_BODY = 64 * 1024;
    private static final int CHUNK = 16 * 1024;
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PROPFIND", "OPTIONS");

    private final ChannelRegistry registry;
    private final Duration requestTimeout;
    private final TrafficMeter traffic;
    private final AccessLog accessLog;

    public ChannelForwarder(
            ChannelRegistry registry, Duration requestTimeout, TrafficMeter traffic, AccessLog accessLog) {
        this.registry = registry;
        this.requestTimeout = requestTimeout;
        this.traffic = traffic;
        this.accessLog = accessLog;
    }

    /**
     * A request without a body (most device requests: GET, HEAD) never blocks a thread: its stream is
     * opened, its answer head and body delivered and the callback completed from the channel's events.
     * Anything with a body, and a WebSocket, takes the blocking path below.
     */
    @Override
    public void forward(Route route, Request request, InputStream body, Response response, Callback callback) {
        if (RequestLengthStep.hasBody(request) || WebSocketUpgrade.requested(request)) {
            Forwarder.super.forward(route, request, body, response, callback);
            return;
        }
        var exchange = new BodilessExchange(route, request, response, callback, head(route, request, 0));
        request.addFailureListener(exchange::deviceFailed);
        exchange.attempt();
    }

    /** One bodiless request and its attempts (another connection point when a channel fails before the answer). */
    private final class BodilessExchange {
        private final Route route;
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final MetaData.Request head;
        private final AccessLog.Entry access;
        private final Set<Channel> tried = new HashSet<>();
        private volatile Exchange current;

        BodilessExchange(Route route, Request request, Response response, Callback callback, MetaData.Request head) {
            this.route = route;
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.head = head;
            this.access = accessLog.start(route, request);
        }

        void attempt() {
            Channel channel = registry.next(route.site(), tried).orElse(null);
            if (channel == null) {
                fail(
                        tried.isEmpty()
                                ? new RequestRefused(
                                        Refusal.NO_CONNECTION_POINT,
                                        "no healthy connection point for site " + route.site())
                                : new RequestRefused(
                                        Refusal.CHANNEL_LOST,
                                        "every connection point of site " + route.site() + " failed"));
                return;
            }
            access.through(channel.name());
            var exchange = new Exchange();
            current = exchange;
            var timeout = request.getComponents()
                    .getScheduler()
                    .schedule(
                            () -> {
                                if (exchange.head.completeExceptionally(new TimeoutException())) {
                                    exchange.cancel();
                                }
                            },
                            requestTimeout.toMillis(),
                            TimeUnit.MILLISECONDS);
            exchange.openBodiless(channel, head);
            exchange.head.whenComplete((answer, failure) -> {
                timeout.cancel();
                if (failure != null) {
                    headFailed(channel, failure);
                } else {
                    answered(channel, exchange, answer);
                }
            });
        }

        private void headFailed(Channel channel, Throwable failure) {
            if (failure instanceof TimeoutException) {
                fail(new RequestRefused(
                        Refusal.SITE_TIMEOUT, "no answer from site " + route.site() + " within " + requestTimeout));
            } else if (failure instanceof Exchange.DeviceGone gone) {
                finish(499, 0);
                callback.failed(gone);
            } else if (failure instanceof Exchange.ChannelLost lost
                    && retryable(route, lost)
                    && tried.size() + 1 < MAX_ATTEMPTS
                    && !response.isCommitted()) {
                LOG.info(
                        "retrying {} {} on another connection point: {}",
                        route.method(),
                        route.path().encoded(),
                        lost.getMessage());
                tried.add(channel);
                attempt();
            } else {
                fail(new RequestRefused(Refusal.CHANNEL_LOST, String.valueOf(failure.getMessage())));
            }
        }

        private void answered(Channel channel, Exchange exchange, MetaData.Response answer) {
            String refusal = answer.getHttpFields().get(ChannelProtocol.REFUSAL_HEADER);
            if (refusal != null) {
                exchange.cancel();
                fail(new RequestRefused(answer.getStatus(), refusal, "from connection point " + channel.name()));
                return;
            }
            response.setStatus(answer.getStatus());
            for (HttpField f : answer.getHttpFields()) {
                if (ForwardedHeaders.toDevice(f.getName())) {
                    response.getHeaders().add(f);
                }
            }
            exchange.done.whenComplete((v, failure) -> {
                long out = exchange.bytesOut.get();
                if (failure == null) {
                    finish(answer.getStatus(), out);
                    callback.succeeded();
                } else {
                    finish(failure instanceof Exchange.DeviceGone ? 499 : 502, out);
                    callback.failed(failure);
                }
            });
            exchange.deliverTo(response);
        }

        void deviceFailed(Throwable failure) {
            Exchange e = current;
            if (e != null) {
                e.cancel();
                e.deviceGone(failure);
            }
        }

        private void fail(RequestRefused refusal) {
            finish(refusal.status(), 0);
            callback.failed(refusal);
        }

        private void finish(int status, long out) {
            traffic.record(route.endpoint().endpoint().externalPath(), 0, out, status);
            access.finished(status, 0, out);
        }
    }

    @Override
    public void forward(Route route, Request request, InputStream body, Response response) throws IOException {
        if (WebSocketUpgrade.requested(request)) {
            upgrade(route, request, response);
            return;
        }
        var access = accessLog.start(route, request);
        long in = 0;
        int status = 502;
        Exchange exchange = null;
        // A device that goes away (its connection failed, timed out) ends its stream at once: the site stops working
        // for nobody.
        var current = new AtomicReference<Exchange>();
        request.addFailureListener(failure -> {
            Exchange e = current.get();
            if (e != null) {
                e.cancel();
                e.deviceGone(failure);
            }
        });
        try {
            byte[] first = RequestLengthStep.hasBody(request) ? readUpTo(body, BUFFERED_BODY) : new byte[0];
            in = first.length;
            boolean whole = first.length < BUFFERED_BODY;
            var head = head(route, request, whole ? first.length : request.getLength());
            Set<Channel> tried = new HashSet<>();
            while (true) {
                Channel channel = registry.next(route.site(), tried)
                        .orElseThrow(() -> tried.isEmpty()
                                ? new RequestRefused(
                                        Refusal.NO_CONNECTION_POINT,
                                        "no healthy connection point for site " + route.site())
                                : new RequestRefused(
                                        Refusal.CHANNEL_LOST,
                                        "every connection point of site " + route.site() + " failed"));
                access.through(channel.name());
                exchange = new Exchange();
                current.set(exchange);
                try {
                    Stream stream = open(channel, head, exchange, first, whole);
                    if (!whole) {
                        in += streamRest(body, stream);
                    }
                    MetaData.Response answer = exchange.head.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
                    status = answer.getStatus();
                    String refusal = answer.getHttpFields().get(ChannelProtocol.REFUSAL_HEADER);
                    if (refusal != null) {
                        exchange.cancel();
                        throw new RequestRefused(status, refusal, "from connection point " + channel.name());
                    }
                    response.setStatus(status);
                    for (HttpField f : answer.getHttpFields()) {
                        if (ForwardedHeaders.toDevice(f.getName())) {
                            response.getHeaders().add(f);
                        }
                    }
                    exchange.deliverTo(response);
                    exchange.done.get();
                    return;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exchange.ChannelLost lost
                            && !response.isCommitted()
                            && whole
                            && retryable(route, lost)
                            && tried.size() + 1 < MAX_ATTEMPTS) {
                        LOG.info(
                                "retrying {} {} on another connection point: {}",
                                route.method(),
                                route.path().encoded(),
                                lost.getMessage());
                        response.reset();
                        tried.add(channel);
                        continue;
                    }
                    if (e.getCause() instanceof Exchange.DeviceGone gone) {
                        status = 499;
                        throw gone;
                    }
                    status = 502;
                    if (!response.isCommitted()) {
                        response.reset();
                        throw new RequestRefused(
                                Refusal.CHANNEL_LOST, e.getCause().getMessage());
                    }
                    throw new IOException(
                            "the site's answer broke off: " + e.getCause().getMessage(), e.getCause());
                }
            }
        } catch (TimeoutException e) {
            exchange.cancel();
            status = 504;
            throw new RequestRefused(
                    Refusal.SITE_TIMEOUT, "no answer from site " + route.site() + " within " + requestTimeout);
        } catch (RequestRefused r) {
            if (exchange != null) {
                exchange.cancel();
            }
            status = r.status();
            throw r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (exchange != null) {
                exchange.cancel();
            }
            throw new IOException("interrupted");
        } catch (IOException | RuntimeException e) {
            if (exchange != null) {
                exchange.cancel();
            }
            throw e;
        } finally {
            long out = exchange == null ? 0 : exchange.bytesOut.get();
            traffic.record(route.endpoint().endpoint().externalPath(), in, out, status);
            access.finished(status, in, out);
        }
    }

    /** A WebSocket: one extended CONNECT stream on a channel of the site, then a byte pipe (no retry once asked). */
    private void upgrade(Route route, Request request, Response response) throws IOException {
        var access = accessLog.start(route, request);
        int status = 502;
        try {
            Channel channel = registry.next(route.site(), Set.of())
                    .orElseThrow(() -> new RequestRefused(
                            Refusal.NO_CONNECTION_POINT, "no healthy connection point for site " + route.site()));
            access.through(channel.name());
            WebSocketUpgrade.open(channel, route, request, response, requestTimeout);
            status = 101;
        } catch (RequestRefused r) {
            status = r.status();
            throw r;
        } catch (ExecutionException e) {
            throw new RequestRefused(
                    Refusal.CHANNEL_LOST, String.valueOf(e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } finally {
            traffic.record(route.endpoint().endpoint().externalPath(), 0, 0, status);
            access.finished(status, 0, 0);
        }
    }

    /**
     * Another connection point may take a request whose channel failed before the answer began when
     * it is idempotent, or when the point never processed it (a draining point's GOAWAY): no site
     * saw it, so even a CCM_POST is sent once only.
     */
    private static boolean retryable(Route route, Exchange.ChannelLost lost) {
        return IDEMPOTENT.contains(route.method()) || lost instanceof Exchange.NotProcessed;
    }

    /** Opens the exchange's stream: HEADERS, then the body in hand (all of it, or its start). */
    private static Stream open(Channel channel, MetaData.Request head, Exchange exchange, byte[] first, boolean whole)
            throws ExecutionException, InterruptedException {
        var opened = new CompletableFuture<Stream>();
        try {
            channel.session.newStream(
                    new HeadersFrame(head, null, whole && first.length == 0), Promise.from(opened), exchange);
        } catch (RuntimeException e) {
            opened.completeExceptionally(e);
        }
        Stream stream;
        try {
            stream = opened.get();
        } catch (ExecutionException e) {
            throw new ExecutionException(new Exchange.NotProcessed("no stream on the channel of " + channel.name()
                    + ": " + e.getCause().getMessage()));
        }
        exchange.started(stream);
        if (first.length > 0) {
            send(stream, ByteBuffer.wrap(first), whole);
        }
        return stream;
    }

    /**
     * Streams the rest of a large body, a frame at a time under the stream's flow control; returns
     * the bytes sent. A stream that stops taking the body (the site answered early and the
     * connection point ended the stream, or reset it) ends the upload: the answer, if any, follows.
     */
    private static long streamRest(InputStream body, Stream stream) throws InterruptedException {
        byte[] buf = new byte[CHUNK];
        long sent = 0;
        int n;
        try {
            while ((n = readDevice(body, buf)) >= 0) {
                if (n > 0) {
                    send(stream, ByteBuffer.wrap(buf, 0, n), false);
                    sent += n;
                }
            }
            send(stream, ByteBuffer.allocate(0), true);
        } catch (ExecutionException e) {
            LOG.debug(
                    "the channel stream stopped taking the body after {} bytes: {}",
                    sent,
                    e.getCause().getMessage());
        }
        return sent;
    }

    private static void send(Stream stream, ByteBuffer data, boolean last)
            throws ExecutionException, InterruptedException {
        var written = new FutureCallback();
        stream.data(new DataFrame(stream.getId(), data, last), written);
        try {
            written.get();
        } catch (ExecutionException e) {
            throw new ExecutionException(new Exchange.ChannelLost(
                    "sending the body failed: " + e.getCause().getMessage()));
        }
    }

    private static byte[] readUpTo(InputStream body, int max) {
        try {
            return body.readNBytes(max);
        } catch (IOException e) {
            throw RequestLengthStep.bodyBroken(e);
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

    /** The HTTP/2 request a connection point receives: the canonical request and the headers that may pass. */
    static MetaData.Request head(Route route, Request request, long contentLength) {
        var device = route.device();
        boolean bearerDevice =
                device.method().equals("token") || device.method().equals("entra");
        var fields = HttpFields.build();
        route.headers().fromDevice(request.getHeaders(), bearerDevice).forEach(fields::add); // counts what it drops
        fields.put(ForwardedHeaders.DEVICE_ID, ascii(device.id()));
        fields.put(ForwardedHeaders.AUTH_METHOD, device.method());
        fields.put(ForwardedHeaders.DEVICE_NAME, ascii(device.name()));
        if (request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a) {
            fields.put(ForwardedHeaders.CLIENT_ADDRESS, a.getAddress().getHostAddress());
        }
        fields.put(ChannelProtocol.ENDPOINT_HEADER, route.endpoint().endpoint().externalPath());
        if (contentLength > 0) {
            fields.put(HttpHeader.CONTENT_LENGTH, contentLength); // a chunked body read whole has its length now
        } else {
            fields.remove(HttpHeader.CONTENT_LENGTH);
        }
        var uri = HttpURI.build()
                .scheme("https")
                .host(ChannelProtocol.AUTHORITY)
                .path(route.path().encoded());
        if (route.query() != null && !route.query().isEmpty()) {
            uri.query(route.query());
        }
        return new MetaData.Request(route.method(), uri.asImmutable(), HttpVersion.HTTP_2, fields, contentLength);
    }

    /** Header values stay printable ASCII whatever a certificate subject holds. */
    static String ascii(String s) {
        var sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }
}
