package org.opencmg.server.channel;

import java.net.InetSocketAddress;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;

/**
 * What a connection point of channel version 1 (ALPN "h2", the point as HTTP/2 client) hears: its
 * hello, and anything else it sends, is refused with 400 and a reason naming the fix. Its TLS
 * certificate was registered, or it would not have got this far.
 */
public final class ChannelVersionRefusal extends Handler.Abstract {

    private final Refusals refusals;

    public ChannelVersionRefusal(Refusals refusals) {
        super(InvocationType.NON_BLOCKING);
        this.refusals = refusals;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        var refusal = new RequestRefused(
                Refusal.CHANNEL_PROTOCOL_UNSUPPORTED,
                "this gateway speaks channel protocol " + ChannelProtocol.VERSION
                        + " only: upgrade the connection point");
        String remote = request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort()
                : "?";
        refusals.record(refusal, request.getMethod(), request.getHttpURI().getPath(), remote, "channel");
        response.setStatus(400);
        // One answer per connection: then a GOAWAY, so an old point (or anyone posing as one) gets no second stream.
        var connection = request.getConnectionMetaData().getConnection();
        Content.Sink.write(
                response, true, "400 channel_protocol_unsupported: " + refusal.detail() + "\n", new Callback() {
                    @Override
                    public void succeeded() {
                        callback.succeeded();
                        goAway(connection);
                    }

                    @Override
                    public void failed(Throwable x) {
                        callback.failed(x);
                        goAway(connection);
                    }
                });
        return true;
    }

    private static void goAway(Connection connection) {
        if (connection instanceof HTTP2Connection h2) {
            h2.getSession().close(ErrorCode.NO_ERROR.code, "channel_protocol_unsupported", Callback.NOOP);
        } else {
            connection.close();
        }
    }
}
