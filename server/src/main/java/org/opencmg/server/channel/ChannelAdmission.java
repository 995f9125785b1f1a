package org.opencmg.server.channel;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ServerConnector;
import org.opencmg.api.Refusal;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.store.RegisteredPoints;

/**
 * What a connection to the channel connector may do before its connection point is known. The
 * channel port faces the internet, so nothing there is granted on trust:
 * <ol>
 *   <li>the TLS handshake accepts only a certificate registered for a connection point (checked in
 *       memory), so an unknown peer never reaches HTTP/2;</li>
 *   <li>on the connection the gateway is the HTTP/2 client: the connection point can open no
 *       stream at all, and its answer to the hello is at most
 *       {@link org.opencmg.channel.ChannelProtocol#MAX_HELLO_BYTES} (see {@link ChannelGreeting});</li>
 *   <li>its welcome must have checked out within the deadline, handshake included, or it is closed;</li>
 *   <li>connections not yet admitted are bounded, in all and per source address.</li>
 * </ol>
 */
public final class ChannelAdmission implements Connection.Listener {

    private final Supplier<RegisteredPoints> points;
    private final Refusals refusals;
    private final Clock clock;
    private final Duration helloDeadline;
    private final int maxPending;
    private final int maxPendingPerAddress;
    private final Map<EndPoint, String> pending = new ConcurrentHashMap<>();
    private ServerConnector connector;

    public ChannelAdmission(
            Supplier<RegisteredPoints> points,
            Refusals refusals,
            Clock clock,
            Duration helloDeadline,
            int maxPending,
            int maxPendingPerAddress) {
        this.points = points;
        this.refusals = refusals;
        this.clock = clock;
        this.helloDeadline = helloDeadline;
        this.maxPending = maxPending;
        this.maxPendingPerAddress = maxPendingPerAddress;
    }

    /** Watches the connections of the channel connector (called once, when it is built). */
    public void watch(ServerConnector channelConnector) {
        this.connector = channelConnector;
        channelConnector.addEventListener(this);
    }

    /** The channel connector's trust manager: registered connection point certificates only. */
    public X509ExtendedTrustManager trustManager() {
        return new RegisteredOnly();
    }

    @Override
    public void onOpened(Connection connection) {
        if (!(connection instanceof SslConnection ssl)) {
            return; // the TLS connection stands for the network connection; ALPN and HTTP/2 ride on it
        }
        EndPoint network = ssl.getEndPoint();
        String address = address(network);
        long fromAddress = pending.values().stream().filter(address::equals).count();
        if (pending.size() >= maxPending || fromAddress >= maxPendingPerAddress) {
            refuse(
                    network,
                    Refusal.CHANNEL_TOO_MANY_PENDING,
                    (fromAddress >= maxPendingPerAddress
                                    ? fromAddress + " from this address"
                                    : pending.size() + " in all")
                            + " not yet admitted; closed");
            return;
        }
        pending.put(ssl.getSslEndPoint(), address);
        connector
                .getScheduler()
                .schedule(
                        () -> {
                            if (pending.remove(ssl.getSslEndPoint()) != null) {
                                refuse(
                                        network,
                                        Refusal.CHANNEL_HELLO_TIMEOUT,
                                        "no hello within " + helloDeadline.toMillis() + " ms; closed");
                            }
                        },
                        helloDeadline.toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    @Override
    public void onClosed(Connection connection) {
        if (connection instanceof SslConnection ssl) {
            pending.remove(ssl.getSslEndPoint());
        }
    }

    /** The welcome on this connection checked out: it leaves the pending set. */
    void admit(EndPoint endPoint) {
        pending.remove(endPoint);
    }

    /** Connections that have not said hello yet (for status and tests). */
    public int pendingConnections() {
        return pending.size();
    }

    private void refuse(EndPoint network, Refusal reason, String detail) {
        refusals.record(new RequestRefused(reason, detail), "", "", address(network), "channel");
        network.close();
    }

    private static String address(EndPoint ep) {
        return ep.getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress()
                : "?";
    }

    /** Accepts a client certificate only when it is within its dates and registered for a connection point. */
    private final class RegisteredOnly extends X509ExtendedTrustManager {

        private void check(X509Certificate[] chain, String peer) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("no client certificate");
            }
            String thumbprint = Thumbprints.sha256(chain[0]);
            if (!points.get().knows(thumbprint)) {
                refusals.record(
                        new RequestRefused(
                                Refusal.CHANNEL_CERTIFICATE_UNREGISTERED,
                                "certificate " + thumbprint + " is not registered for a connection point"),
                        "",
                        "",
                        peer,
                        "channel");
                throw new CertificateException("certificate not registered for a connection point");
            }
            try {
                chain[0].checkValidity(Date.from(clock.instant()));
            } catch (CertificateException e) {
                refusals.record(
                        new RequestRefused(Refusal.CHANNEL_CERTIFICATE_INVALID, e.getMessage()),
                        "",
                        "",
                        peer,
                        "channel");
                throw e;
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain, engine == null ? "?" : engine.getPeerHost() + ":" + engine.getPeerPort());
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain, socket == null ? "?" : String.valueOf(socket.getRemoteSocketAddress()));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, "?");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("server certificates are not checked here");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("server certificates are not checked here");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("server certificates are not checked here");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
