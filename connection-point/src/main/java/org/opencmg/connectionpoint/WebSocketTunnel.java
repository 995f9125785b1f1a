package org.opencmg.connectionpoint;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.io.ssl.SslClientConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.TunnelSupport;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.ForwardedHeaders;
import org.opencmg.channel.Pipe;

/**
 * A WebSocket the gateway asked for (an RFC 8441 extended CONNECT stream): the connection point
 * opens the WebSocket to the internal server over HTTP/1.1 (its own key, the device's protocols and
 * extensions, the allowed headers), answers the stream 200 once the server answered 101, and joins
 * the stream and the internal connection byte for byte ({@link Pipe}).
 */
final class WebSocketTunnel extends Handler.Wrapper {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_HANDSHAKE_ANSWER = 16 * 1024;

    private final HttpClient internal;

    WebSocketTunnel(HttpClient internal, Handler next) {
        super(next);
        this.internal = internal;
    }

    static boolean isWebSocket(Request request) {
        TunnelSupport tunnel = request.getTunnelSupport();
        return tunnel != null && "websocket".equalsIgnoreCase(tunnel.getProtocol());
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!isWebSocket(request)) {
            return super.handle(request, response, callback);
        }
        HttpURI target = (HttpURI) request.getAttribute(MappingCheck.TARGET);
        boolean tls = "https".equalsIgnoreCase(target.getScheme());
        int port = target.getPort() > 0 ? target.getPort() : tls ? 443 : 80;
        ClientConnector connector = ((HttpClientTransportOverHTTP) internal.getTransport()).getClientConnector();
        var answer = new CompletableFuture<Handshake>();
        byte[] upgrade = upgradeRequest(request, target, port);
        ClientConnectionFactory handshake =
                (endPoint, context) -> new Handshake(endPoint, connector.getExecutor(), upgrade, answer);
        var context = new HashMap<String, Object>();
        context.put(Transport.CONTEXT_KEY, Transport.TCP_IP);
        context.put(
                ClientConnectionFactory.CONTEXT_KEY,
                tls
                        ? new SslClientConnectionFactory(
                                internal.getSslContextFactory(),
                                connector.getByteBufferPool(),
                                connector.getExecutor(),
                                handshake)
                        : handshake);
        context.put(
                ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY, Promise.from(c -> {}, answer::completeExceptionally));
        connector.connect(new InetSocketAddress(target.getHost(), port), context);
        answer.whenComplete((site, failure) -> {
            if (failure != null) {
                MappingCheck.refuse(
                        request, response, callback, Refusal.INTERNAL_SERVER_UNREACHABLE, failure.toString());
            } else if (site.status != 101) {
                site.getEndPoint().close();
                MappingCheck.refuse(
                        request,
                        response,
                        callback,
                        Refusal.WEBSOCKET_REFUSED_BY_SITE,
                        "the internal server answered " + site.status);
            } else {
                response.setStatus(200);
                for (HttpHeader h :
                        new HttpHeader[] {HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, HttpHeader.SEC_WEBSOCKET_EXTENSIONS}) {
                    String v = site.headers.get(h);
                    if (v != null) {
                        response.getHeaders().put(h, v);
                    }
                }
                EndPoint stream = request.getTunnelSupport().getEndPoint();
                stream.setIdleTimeout(ChannelProtocol.STREAM_IDLE_TIMEOUT.toMillis());
                site.getEndPoint().setIdleTimeout(ChannelProtocol.STREAM_IDLE_TIMEOUT.toMillis());
                Connection[] pipe = Pipe.between(
                        stream, site.getEndPoint(), connector.getExecutor(), connector.getByteBufferPool());
                site.getEndPoint().upgrade(pipe[1]); // bytes read past the 101 go first
                request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, pipe[0]);
                callback.succeeded();
            }
        });
        return true;
    }

    private static byte[] upgradeRequest(Request request, HttpURI target, int port) {
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        var sb = new StringBuilder();
        sb.append("GET ")
                .append(target.getPathQuery() == null ? "/" : target.getPathQuery())
                .append(" HTTP/1.1\r\n");
        sb.append("Host: ").append(target.getHost()).append(':').append(port).append("\r\n");
        sb.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
        sb.append("Sec-WebSocket-Key: ")
                .append(Base64.getEncoder().encodeToString(key))
                .append("\r\n");
        for (HttpField f : request.getHeaders()) {
            if (f.is(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL.asString())
                    || f.is(HttpHeader.SEC_WEBSOCKET_EXTENSIONS.asString())
                    || ForwardedHeaders.toSite(f.getName())
                            && !f.is(ChannelProtocol.ENDPOINT_HEADER)
                            && !f.is(HttpHeader.CONTENT_LENGTH.asString())) {
                sb.append(f.getName()).append(": ").append(f.getValue()).append("\r\n");
            }
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The WebSocket opening handshake with the internal server: the request out, the answer's head in. */
    private static final class Handshake extends AbstractConnection implements Connection.UpgradeFrom {
        private final byte[] upgrade;
        private final CompletableFuture<Handshake> answer;
        private final ByteBuffer head = BufferUtil.allocate(MAX_HANDSHAKE_ANSWER);
        private ByteBuffer rest;
        int status;
        HttpFields headers;

        Handshake(EndPoint endPoint, Executor executor, byte[] upgrade, CompletableFuture<Handshake> answer) {
            super(endPoint, executor);
            this.upgrade = upgrade;
            this.answer = answer;
        }

        @Override
        public void onOpen() {
            super.onOpen();
            getEndPoint()
                    .write(
                            Callback.from(this::fillInterested, answer::completeExceptionally),
                            ByteBuffer.wrap(upgrade));
        }

        @Override
        public void onFillable() {
            try {
                int n = getEndPoint().fill(head);
                if (n < 0) {
                    throw new IOException("the internal server closed before answering the WebSocket handshake");
                }
                String text = new String(head.array(), head.arrayOffset(), head.limit(), StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                if (end < 0) {
                    if (head.limit() >= MAX_HANDSHAKE_ANSWER) {
                        throw new IOException("WebSocket handshake answer over " + MAX_HANDSHAKE_ANSWER + " bytes");
                    }
                    fillInterested();
                    return;
                }
                parse(text.substring(0, end));
                head.position(end + 4);
                rest = head.slice();
                answer.complete(this);
            } catch (IOException | RuntimeException e) {
                getEndPoint().close(e);
                answer.completeExceptionally(e);
            }
        }

        private void parse(String text) throws IOException {
            String[] lines = text.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP answer to the WebSocket handshake");
            }
            status = Integer.parseInt(statusLine[1]);
            var fields = HttpFields.build();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    fields.add(
                            lines[i].substring(0, colon).strip(),
                            lines[i].substring(colon + 1).strip());
                }
            }
            headers = fields.asImmutable();
        }

        @Override
        public ByteBuffer onUpgradeFrom() {
            return rest;
        }
    }
}
