package org.opencmg.connectionpoint;

import java.util.Map;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.server.ServerSessionListener;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.frames.PingFrame;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RateControl;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.StreamBoundFlowControl;

/**
 * A connector that accepts nothing: it serves HTTP/2 on the connection its {@link GatewayLink}
 * dialled to one gateway instance, so the streams the gateway opens there reach this process's
 * handlers as requests. One per gateway link; the link is known from the connector a request came on.
 */
final class DialledConnector extends AbstractConnector {

    private final GatewayLink link;

    DialledConnector(Server server, GatewayLink link) {
        super(server, null, null, null, 0, new ChannelServerFactory(link));
        this.link = link;
        setName("channel " + link.gateway());
        // A silent gateway (no PING, no stream) for three heartbeats is gone: the connection closes and is redialled.
        setIdleTimeout(link.idleTimeout().toMillis());
    }

    GatewayLink link() {
        return link;
    }

    /** Serves HTTP/2 on a connection this process dialled and whose TLS handshake chose the channel protocol. */
    Connection serve(EndPoint endPoint) {
        endPoint.setIdleTimeout(getIdleTimeout());
        Connection connection = getDefaultConnectionFactory().newConnection(this, endPoint);
        onEndPointOpened(endPoint);
        connection.addEventListener(new Connection.Listener() {
            @Override
            public void onClosed(Connection c) {
                onEndPointClosed(endPoint);
            }
        });
        return connection;
    }

    @Override
    protected void accept(int acceptorId) {
        throw new UnsupportedOperationException("a dialled connector accepts nothing");
    }

    @Override
    public Object getTransport() {
        return null;
    }

    /**
     * HTTP/2 server side of a channel: as many concurrent streams as a gateway may need, no rate
     * control (the peer is a gateway whose certificate this point checked, and its request rate is
     * the devices'), and the link told of PINGs and of the gateway's GOAWAY.
     */
    private static final class ChannelServerFactory extends HTTP2ServerConnectionFactory {
        private final GatewayLink link;

        ChannelServerFactory(GatewayLink link) {
            super(httpConfiguration());
            this.link = link;
            setMaxConcurrentStreams(ChannelProtocol.MAX_STREAMS);
            setInitialStreamRecvWindow(1024 * 1024);
            setInitialSessionRecvWindow(16 * 1024 * 1024);
            setStreamIdleTimeout(ChannelProtocol.STREAM_IDLE_TIMEOUT.toMillis());
            setFlowControlStrategyFactory(
                    StreamBoundFlowControl.factory()); // a stalled upload holds only its own window
            setConnectProtocolEnabled(true); // RFC 8441: WebSockets as extended CONNECT streams
            setRateControlFactory(new RateControl.Factory() {});
        }

        private static HttpConfiguration httpConfiguration() {
            var http = new HttpConfiguration();
            http.setSendServerVersion(false);
            http.setSendXPoweredBy(false);
            http.setSendDateHeader(false);
            return http;
        }

        @Override
        protected ServerSessionListener newSessionListener(Connector connector, EndPoint endPoint) {
            return new HTTPServerSessionListener(endPoint) {
                @Override
                public Map<Integer, Integer> onPreface(Session session) {
                    link.sessionOpened(session);
                    return super.onPreface(session);
                }

                @Override
                public void onPing(Session session, PingFrame frame) {
                    link.pinged(frame);
                }

                @Override
                public void onGoAway(Session session, GoAwayFrame frame) {
                    // The gateway is this connection's HTTP/2 client: its GOAWAY concerns streams this
                    // point would open (none). It means the gateway opens no new stream here and ends
                    // the connection once its streams finished. A graceful one (last stream 2^31-1,
                    // RFC 9113 §6.8) is the gateway's drain; a refusal or a dead channel is not.
                    if (frame.isGraceful()) {
                        link.gatewayDraining();
                    }
                    link.goingAway(frame.tryConvertPayload());
                }

                @Override
                public void onClose(Session session, GoAwayFrame frame, Callback callback) {
                    link.goingAway(frame == null ? null : frame.tryConvertPayload());
                    super.onClose(session, frame, callback);
                }
            };
        }
    }
}
