package org.opencmg.server.jetty;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ProxyConnectionFactory;
import org.eclipse.jetty.util.InetAddressSet;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;

/**
 * The PROXY protocol (v1 or v2, as Jetty reads it) in front of the client connector's TLS, for
 * connections from the configured load balancers only. The header names the device's address and
 * port; Jetty then runs TLS (and so the device's client certificate) on that same connection, whose
 * remote address is from then on the device's: refusal log, access log, audit,
 * {@code X-OpenCMG-Client-Address} and services all read it there. A connection from any other
 * address could name any address it liked, so it is closed before a byte is read, logged and
 * counted ({@code proxy_source_not_allowed}).
 */
final class LoadBalancerProxy extends ProxyConnectionFactory {

    private final InetAddressSet loadBalancers = new InetAddressSet();
    private final Refusals refusals;

    LoadBalancerProxy(String nextProtocol, List<String> loadBalancers, Refusals refusals) {
        super(nextProtocol);
        loadBalancers.forEach(this.loadBalancers::add);
        this.refusals = refusals;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        InetAddress source = endPoint.getRemoteSocketAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        if (source == null || !loadBalancers.test(source)) {
            String remote = endPoint.getRemoteSocketAddress() instanceof InetSocketAddress a
                    ? a.getAddress().getHostAddress() + ":" + a.getPort()
                    : "?";
            refusals.record(
                    new RequestRefused(
                            Refusal.PROXY_SOURCE_NOT_ALLOWED,
                            "the client connector takes PROXY protocol connections from its load balancers (client.proxy-from) only"),
                    "",
                    "",
                    remote,
                    "");
            return new Closing(endPoint, connector);
        }
        return super.newConnection(connector, endPoint);
    }

    /** Closes its connection as soon as it opens. */
    private static final class Closing extends AbstractConnection {
        Closing(EndPoint endPoint, Connector connector) {
            super(endPoint, connector.getExecutor());
        }

        @Override
        public void onOpen() {
            super.onOpen();
            getEndPoint().close();
        }

        @Override
        public void onFillable() {
            getEndPoint().close();
        }
    }
}
