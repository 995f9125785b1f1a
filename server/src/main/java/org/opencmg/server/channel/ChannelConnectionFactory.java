package org.opencmg.server.channel;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.HashMap;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.HTTP2ClientConnectionFactory;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.Promise;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.StreamBoundFlowControl;

/**
 * The channel connector's protocol after TLS chose {@value ChannelProtocol#ALPN}: the connection a
 * connection point dialled becomes an HTTP/2 <em>client</em> connection of the gateway, whose first
 * stream is the hello ({@link ChannelGreeting}).
 */
public final class ChannelConnectionFactory extends AbstractConnectionFactory {

    private final HTTP2Client http2;
    private final HTTP2ClientConnectionFactory connections = new HTTP2ClientConnectionFactory();
    private final ChannelRegistry registry;
    private final ChannelGreeting greeting;
    private final Clock clock;

    /** @param http2 a started client whose settings (windows, pushes refused) every channel uses; it connects nothing itself */
    public ChannelConnectionFactory(
            HTTP2Client http2, ChannelRegistry registry, ChannelGreeting greeting, Clock clock) {
        super(ChannelProtocol.ALPN);
        this.http2 = http2;
        this.registry = registry;
        this.greeting = greeting;
        this.clock = clock;
        addBean(http2); // started and stopped with the channel connector
    }

    /** The HTTP/2 client settings of the gateway's end of every channel. */
    public static HTTP2Client newClient() {
        var client = new HTTP2Client();
        client.setMaxConcurrentPushedStreams(0);
        client.setInitialStreamRecvWindow(1024 * 1024);
        client.setInitialSessionRecvWindow(16 * 1024 * 1024);
        client.setStreamIdleTimeout(ChannelProtocol.STREAM_IDLE_TIMEOUT.toMillis());
        client.setMaxResponseHeadersSize(16 * 1024);
        client.setSelectors(1);
        client.setFlowControlStrategyFactory(
                StreamBoundFlowControl.factory()); // a device not reading holds only its own window
        return client;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        String remote = endPoint.getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort()
                : "?";
        var channel = new Channel(registry, endPoint, remote, clock.instant());
        var context = new HashMap<String, Object>();
        context.put(HTTP2Client.CONTEXT_KEY, http2);
        context.put(HTTP2Client.SESSION_LISTENER_CONTEXT_KEY, channel);
        context.put(
                HTTP2Client.SESSION_PROMISE_CONTEXT_KEY,
                Promise.<Session>from(session -> greeting.greet(channel, session), failure -> endPoint.close(failure)));
        return configure((AbstractConnection) connections.newConnection(endPoint, context), connector, endPoint);
    }
}
