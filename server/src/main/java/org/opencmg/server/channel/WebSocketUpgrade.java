package org.opencmg.server.channel;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HostPortHttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpScheme;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.transport.internal.ClientHTTP2StreamEndPoint;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.Pipe;
import org.opencmg.server.pipeline.Route;
import org.opencmg.server.refusal.RequestRefused;

/**
 * A device's WebSocket upgrade (HTTP/1.1) carried over the channel as an RFC 8441 extended CONNECT
 * stream: the connection point opens the WebSocket to the internal server and answers 200; the
 * device then gets its 101, and from the moment Jetty has written it the device's connection and
 * the channel stream are joined byte for byte ({@link Pipe}), frames streamed both ways under the
 * stream's flow control.
 */
final class WebSocketUpgrade {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocketUpgrade() {}

    /** A WebSocket opening handshake on an HTTP/1.1 connection (the client connector speaks nothing else). */
    static boolean requested(Request request) {
        HttpFields h = request.getHeaders();
        return "GET".equals(request.getMethod())
                && h.contains(HttpHeader.UPGRADE, "websocket")
                && h.get(HttpHeader.SEC_WEBSOCKET_KEY) != null
                && "13".equals(h.get(HttpHeader.SEC_WEBSOCKET_VERSION))
                && request.getConnectionMetaData().getConnection() instanceof HttpConnection;
    }

    /** Opens the tunnel on {@code channel} and prepares the device's 101; throws {@link RequestRefused} when the site will not. */
    static void open(Channel channel, Route route, Request request, Response response, Duration timeout)
            throws ExecutionException, InterruptedException {
        MetaData.Request plain = ChannelForwarder.head(route, request, 0);
        HttpFields.Mutable fields = HttpFields.build(plain.getHttpFields());
        for (HttpHeader h : new HttpHeader[] {
            HttpHeader.SEC_WEBSOCKET_VERSION, HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, HttpHeader.SEC_WEBSOCKET_EXTENSIONS
        }) {
            String v = request.getHeaders().get(h);
            if (v != null) {
                fields.put(h, v);
            }
        }
        var connect = new MetaData.ConnectRequest(
                HttpScheme.HTTPS,
                new HostPortHttpField(ChannelProtocol.AUTHORITY),
                plain.getHttpURI().getPathQuery(),
                fields,
                "websocket");
        var tunnel = new TunnelListener();
        var opened = new CompletableFuture<Stream>();
        channel.session.newStream(new HeadersFrame(connect, null, false), Promise.from(opened), tunnel);
        Stream stream;
        MetaData.Response answer;
        try {
            stream = opened.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            answer = tunnel.head.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            tunnel.reset(opened.getNow(null));
            throw new RequestRefused(
                    Refusal.SITE_TIMEOUT, "no WebSocket answer from site " + route.site() + " within " + timeout);
        }
        String refusal = answer.getHttpFields().get(ChannelProtocol.REFUSAL_HEADER);
        if (refusal != null || answer.getStatus() != 200) {
            tunnel.reset(stream);
            String detail = "the connection point answered " + answer.getStatus();
            throw refusal != null
                    ? new RequestRefused(answer.getStatus(), refusal, detail)
                    : new RequestRefused(Refusal.WEBSOCKET_REFUSED_BY_SITE, detail);
        }
        response.setStatus(101);
        response.getHeaders().put(HttpHeader.UPGRADE, "websocket");
        response.getHeaders().put(HttpHeader.CONNECTION, "Upgrade");
        response.getHeaders()
                .put(
                        HttpHeader.SEC_WEBSOCKET_ACCEPT,
                        accept(request.getHeaders().get(HttpHeader.SEC_WEBSOCKET_KEY)));
        for (HttpHeader h :
                new HttpHeader[] {HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, HttpHeader.SEC_WEBSOCKET_EXTENSIONS}) {
            String v = answer.getHttpFields().get(h);
            if (v != null) {
                response.getHeaders().put(h, v);
            }
        }
        var streamEndPoint = new ClientHTTP2StreamEndPoint((HTTP2Stream) stream);
        tunnel.bind(streamEndPoint);
        EndPoint device = request.getConnectionMetaData().getConnection().getEndPoint();
        device.setIdleTimeout(ChannelProtocol.STREAM_IDLE_TIMEOUT.toMillis());
        streamEndPoint.setIdleTimeout(ChannelProtocol.STREAM_IDLE_TIMEOUT.toMillis());
        Connection[] pipe = Pipe.between(
                device,
                streamEndPoint,
                request.getComponents().getExecutor(),
                request.getComponents().getByteBufferPool());
        streamEndPoint.setConnection(pipe[1]);
        streamEndPoint.onOpen();
        pipe[1].onOpen();
        // Jetty installs the device's half once the 101 is written, and the first frames flow.
        request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, pipe[0]);
    }

    static String accept(String key) {
        try {
            byte[] sha1 =
                    MessageDigest.getInstance("SHA-1").digest((key.strip() + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The stream's events: its answer head first; once joined, everything goes to the stream's endpoint. */
    private static final class TunnelListener implements Stream.Listener {
        final CompletableFuture<MetaData.Response> head = new CompletableFuture<>();
        private volatile ClientHTTP2StreamEndPoint endPoint;

        void bind(ClientHTTP2StreamEndPoint endPoint) {
            this.endPoint = endPoint;
        }

        void reset(Stream stream) {
            if (stream != null) {
                stream.reset(new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
            }
        }

        private static void run(Runnable task) {
            if (task != null) {
                task.run();
            }
        }

        @Override
        public void onHeaders(Stream stream, HeadersFrame frame) {
            ClientHTTP2StreamEndPoint ep = endPoint;
            if (ep != null) {
                run(ep.onHeaders(stream, frame, Callback.NOOP));
            } else if (frame.getMetaData() instanceof MetaData.Response r) {
                head.complete(r);
            }
        }

        @Override
        public void onDataAvailable(Stream stream) {
            ClientHTTP2StreamEndPoint ep = endPoint;
            if (ep != null) {
                run(ep.onDataAvailable());
            }
        }

        @Override
        public void onReset(Stream stream, ResetFrame frame, Callback callback) {
            ClientHTTP2StreamEndPoint ep = endPoint;
            if (ep != null) {
                run(ep.onReset(frame, callback));
            } else {
                head.completeExceptionally(new Exchange.ChannelLost("the connection point reset the WebSocket stream"));
                callback.succeeded();
            }
        }

        @Override
        public void onFailure(Stream stream, int error, String reason, Throwable failure, Callback callback) {
            ClientHTTP2StreamEndPoint ep = endPoint;
            if (ep != null) {
                run(ep.onFailure(failure, callback));
            } else {
                head.completeExceptionally(new Exchange.ChannelLost("channel failed: " + reason));
                callback.succeeded();
            }
        }

        @Override
        public void onIdleTimeout(Stream stream, TimeoutException x, Promise<Boolean> promise) {
            ClientHTTP2StreamEndPoint ep = endPoint;
            if (ep != null) {
                run(ep.onTimeout(x, promise));
            } else {
                promise.succeeded(true);
            }
        }
    }
}
