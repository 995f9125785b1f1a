package org.opencmg.distribution;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.SettingsFrame;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * An attacker on the channel port who holds a registered connection point certificate but not its
 * connection ID: it opens as many hello streams as the server lets it, sends part of a hello on
 * each and never ends them. {@link #open} says how many streams the server let it have.
 */
final class ChannelSquatter implements AutoCloseable {

    /** How many streams it tries; the server announces and enforces far fewer before a hello. */
    static final int STREAMS_TRIED = 100;

    private final HTTP2Client client;
    private final int port;
    private final CompletableFuture<Void> closedByServer = new CompletableFuture<>();
    private volatile Session session;

    /** One connection of {@code client} (see {@link #client}) to the channel port. */
    ChannelSquatter(HTTP2Client client, int port) {
        this.client = client;
        this.port = port;
    }

    /** An HTTP/2 client presenting {@code identity}, bound to one source address, sharing {@code threads}. */
    static HTTP2Client client(SSLContext identity, String sourceAddress, Executor threads) throws Exception {
        var tls = new SslContextFactory.Client();
        tls.setSslContext(identity);
        var connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        connector.setBindAddress(new InetSocketAddress(sourceAddress, 0));
        connector.setSelectors(1);
        connector.setExecutor(threads);
        var client = new HTTP2Client(connector);
        client.start();
        return client;
    }

    /** Connects and opens hello streams until the server refuses one; 0 when it got no HTTP/2 session. */
    int open() throws Exception {
        var tls = client.getClientConnector().getSslContextFactory();
        var settings = new CompletableFuture<Integer>();
        try {
            session = client.connect(tls, new InetSocketAddress("127.0.0.1", port), new Session.Listener() {
                        @Override
                        public void onSettings(Session s, SettingsFrame frame) {
                            Integer max = frame.getSettings().get(SettingsFrame.MAX_CONCURRENT_STREAMS);
                            settings.complete(max == null ? Integer.MAX_VALUE : max);
                        }

                        @Override
                        public void onClose(
                                Session s,
                                org.eclipse.jetty.http2.frames.GoAwayFrame frame,
                                org.eclipse.jetty.util.Callback callback) {
                            closedByServer.complete(null);
                            callback.succeeded();
                        }

                        @Override
                        public void onFailure(Session s, Throwable failure, org.eclipse.jetty.util.Callback callback) {
                            closedByServer.complete(null);
                            callback.succeeded();
                        }
                    })
                    .get(5, TimeUnit.SECONDS);
            settings.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            closedByServer.complete(null);
            return 0; // refused at the handshake or by a limit: it holds nothing
        }
        int opened = 0;
        for (int i = 0; i < STREAMS_TRIED; i++) {
            var request = new MetaData.Request(
                    "POST",
                    HttpURI.from("https://127.0.0.1:" + port + "/cmg-channel/v1/hello"),
                    HttpVersion.HTTP_2,
                    HttpFields.build().put("content-type", "application/json"));
            Stream stream;
            try {
                stream = session.newStream(new HeadersFrame(request, null, false), new Stream.Listener() {})
                        .get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                break; // beyond the limit the server announced
            }
            // Part of a hello, never ended.
            stream.data(new DataFrame(
                    stream.getId(), ByteBuffer.wrap("{\"protocols\":[1],\"connection_id\":\"".getBytes()), false));
            opened++;
        }
        return opened;
    }

    /** Whether the server has closed this connection (it may also have been refused at once). */
    boolean closed() {
        Session s = session;
        return s == null || s.isClosed() || closedByServer.isDone();
    }

    @Override
    public void close() {
        Session s = session;
        if (s != null) {
            s.close(0, "done", org.eclipse.jetty.util.Callback.NOOP);
        }
    }
}
