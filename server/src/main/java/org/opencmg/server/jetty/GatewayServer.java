package org.opencmg.server.jetty;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.pki.TlsProvider;
import org.opencmg.server.channel.ChannelAdmission;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.refusal.Refusals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's Jetty server: named connectors, each pinned to its own handler.
 * <pre>
 *   Server (virtual threads for blocking work)
 *    ├─ connector "client"  TLS, client cert wanted        ─▶ ClientPipelineHandler
 *    ├─ connector "channel" TLS + HTTP/2, client cert needed ─▶ channel protocol: gateway as HTTP/2 client (connection points)
 *    └─ connector "admin"   TLS, 127.0.0.1                 ─▶ admin servlets (REST API, pages)
 * </pre>
 * A handler only ever sees requests of its own connector.
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

    public static final String CLIENT = "client";
    public static final String ADMIN = "admin";
    public static final String CHANNEL = "channel";

    private final Server server;
    private final ServerConnector client;
    private final ServerConnector admin;
    private final ServerConnector channel;
    private final SslContextFactory.Server clientTls;
    private final SslContextFactory.Server adminTls;
    private final SslContextFactory.Server channelTls;
    private final TrustManager clientTrust;
    private final TrustManager adminTrust;
    private final TrustManager channelTrust;
    private final TlsProvider configuredProvider;
    /** The client connector's engines when they are Netty's (tls.provider netty), else null. */
    private volatile NettyClientTls clientEngines;

    private final ClientDrain clientDrain;
    private final TlsProvider tlsProvider;

    public GatewayServer(
            GatewayConfig config,
            KeyMaterial clientKeys,
            KeyMaterial channelKeys,
            KeyMaterial adminKeys,
            Supplier<List<X509Certificate>> acceptedClientIssuers,
            boolean enforceTls12,
            Handler clientHandler,
            Handler channelHandler,
            Handler adminHandler,
            ChannelAdmission channelAdmission,
            ConnectionFactory channelProtocol,
            Refusals refusals)
            throws GeneralSecurityException {
        var threads = new QueuedThreadPool(200, 8);
        threads.setName("cmg");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        server.setErrorHandler(new PlainErrorHandler(refusals));

        var provider = config.tlsProvider();
        if (NettyClientTls.runs(provider)) {
            clientEngines = new NettyClientTls(clientKeys, acceptedClientIssuers);
        } else if (provider == TlsProvider.NETTY) {
            provider = TlsProvider.JDK; // logged once by NettyClientTls
        }
        configuredProvider = provider;
        tlsProvider = provider.effective();
        clientTls = new ResumingSslContextFactory();
        clientTrust = new DeferredClientTrustManager(acceptedClientIssuers);
        // With netty the JDK's context is still set: Jetty picks the protocols and suites from it.
        clientTls.setSslContext(sslContext(provider, clientKeys, clientTrust));
        clientTls.setWantClientAuth(true);
        TlsPolicy.apply(clientTls, enforceTls12);
        client = connector(CLIENT, config.client(), clientTls, config, refusals);

        adminTls = new SslContextFactory.Server();
        // Wanted, not needed: an administrator's registered certificate signs in to the console
        // (checked by thumbprint after the handshake proved the key); a password does otherwise.
        adminTrust = new DeferredClientTrustManager(List::of);
        adminTls.setSslContext(sslContext(provider, adminKeys, adminTrust));
        adminTls.setWantClientAuth(true);
        TlsPolicy.apply(adminTls, true);
        admin = connector(ADMIN, config.admin(), adminTls, config, refusals);

        channelTls = new SslContextFactory.Server();
        // Registered connection point certificates only: an unknown peer never gets HTTP/2.
        channelTrust = channelAdmission.trustManager();
        channelTls.setSslContext(sslContext(provider, channelKeys, channelTrust));
        channelTls.setNeedClientAuth(true);
        TlsPolicy.apply(channelTls, true);
        channel = channelConnector(config, channelTls, channelProtocol);
        channelAdmission.watch(channel);

        server.addConnector(client);
        server.addConnector(channel);
        server.addConnector(admin);
        clientDrain = new ClientDrain(clientHandler);
        server.setHandler(
                new ConnectorRouter(threads.getVirtualThreadsExecutor(), clientDrain, channelHandler, adminHandler));
        server.setStopAtShutdown(false);
    }

    private ServerConnector connector(
            String name,
            GatewayConfig.Listener listener,
            SslContextFactory.Server tls,
            GatewayConfig config,
            Refusals refusals) {
        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setSendDateHeader(true);
        // No leniency at all: bare LF, folded headers, CL with TE, duplicate CL/Host, HTTP/0.9 are refused.
        http.setHttpCompliance(HttpCompliance.STRICT);
        // Our PathNormalizer refuses ambiguous paths with a logged reason; let them reach it.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setRequestHeaderSize(16 * 1024);
        // Jetty's per-connection header field cache is a trie of about 85 KB made on a connection's
        // first request and kept while it lives: three quarters of what an idle device connection
        // cost (bench/connections.sh). It only saves a few small allocations per request; without
        // it 20,000 idle connections need 1.7 GB less heap.
        http.setHeaderCacheSize(0);
        // Jetty 12 does not enforce a minimum data rate: HeaderDeadline bounds heads, and the
        // pipeline's RequestLengthStep bounds slow bodies.
        var secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        secure.setStsMaxAge(-1);
        http.addCustomizer(secure);
        var ssl = new SslConnectionFactory(tls, "http/1.1");
        var strictHttp = new StrictHttpConnectionFactory(http, config.timeouts().header(), refusals);
        // Handshakes run on the selector threads (ConnectorRouter): the devices' connector gets one per
        // core, so a reconnect storm uses every core, as nginx's workers do.
        int selectors = CLIENT.equals(name) ? Runtime.getRuntime().availableProcessors() : -1;
        var connector = listener.proxyProtocol()
                // PROXY header first (load balancers only), then TLS and HTTP/1.1 on the same connection.
                ? new ServerConnector(
                        server,
                        -1,
                        selectors,
                        new LoadBalancerProxy(ssl.getProtocol(), listener.proxyFrom(), refusals),
                        ssl,
                        strictHttp)
                : new ServerConnector(server, -1, selectors, ssl, strictHttp);
        connector.setName(name);
        connector.setHost(listener.host());
        connector.setPort(listener.port());
        // SO_REUSEPORT: several instances on one host share the client port (see GatewayConfig.Listener).
        connector.setReusePort(listener.reusePort());
        connector.setIdleTimeout(config.timeouts().idle().toMillis());
        // A drain must not shorten the idle timeout: a request waiting for a slow site would be cut.
        // ClientDrain closes the connections that carry no request instead.
        connector.setShutdownIdleTimeout(config.timeouts().idle().toMillis());
        connector.setAcceptQueueSize(1024);
        return connector;
    }

    /**
     * Mutual TLS for connection points, then the channel protocol chosen by ALPN: on it the gateway
     * is the HTTP/2 client of the connection the point dialled ({@code channelProtocol}). A point of
     * channel version 1 offers only "h2": it gets an HTTP/2 server whose one answer, to its hello,
     * says to upgrade it (the channel handler).
     */
    private ServerConnector channelConnector(
            GatewayConfig config, SslContextFactory.Server tls, ConnectionFactory channelProtocol) {
        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        var v1 = new HTTP2ServerConnectionFactory(http);
        v1.setMaxConcurrentStreams(1);
        var alpn = new ALPNServerConnectionFactory(channelProtocol.getProtocol(), "h2");
        alpn.setDefaultProtocol(channelProtocol.getProtocol());
        var connector = new ServerConnector(
                server, new SslConnectionFactory(tls, alpn.getProtocol()), alpn, channelProtocol, v1);
        connector.setName(CHANNEL);
        connector.setHost(config.channel().host());
        connector.setPort(config.channel().port());
        connector.setIdleTimeout(config.timeouts().heartbeat().toMillis() * 3);
        connector.setShutdownIdleTimeout(connector.getIdleTimeout()); // channels end by GOAWAY, not by idleness
        return connector;
    }

    /**
     * The client connector's TLS: devices that reconnect resume their session. The JDK's provider
     * issues TLS 1.3 session tickets and keeps TLS 1.2 session IDs by itself; Conscrypt keeps session
     * IDs but sends no tickets unless asked, engine by engine; Netty's engines (tls.provider netty)
     * seal tickets with the keys all instances share, so a session resumes on any of them. A resumed
     * session carries the client's certificate chain, which the pipeline validates as for a full
     * handshake.
     */
    private final class ResumingSslContextFactory extends SslContextFactory.Server {
        @Override
        public SSLEngine newSSLEngine(String host, int port) {
            NettyClientTls netty = clientEngines;
            if (netty == null) {
                return super.newSSLEngine(host, port);
            }
            return netty.newEngine(host, port, this::customize);
        }

        @Override
        public SSLEngine newSSLEngine() {
            return clientEngines == null ? super.newSSLEngine() : newSSLEngine(null, -1);
        }

        @Override
        public void customize(SSLEngine engine) {
            super.customize(engine);
            if (TlsProvider.isConscrypt(engine)) {
                Conscrypt.setUseSessionTickets(engine, true);
            }
        }
    }

    /** Whatever the provider, {@code trust} (ours) judges the peer's certificate. */
    private static SSLContext sslContext(TlsProvider provider, KeyMaterial keys, TrustManager trust)
            throws GeneralSecurityException {
        return provider.context(keys.keyManagers(), trust == null ? null : new TrustManager[] {trust});
    }

    /** Before {@link #start}: told of every failed TLS handshake on the client connector. */
    public void onClientHandshakes(SslHandshakeListener listener) {
        client.addBean(listener);
    }

    public void start() throws Exception {
        server.start();
        LOG.info(
                "client connector on {}:{}, channel connector on {}:{}, admin connector on {}:{}, TLS provider {}",
                client.getHost(),
                client.getLocalPort(),
                channel.getHost(),
                channel.getLocalPort(),
                admin.getHost(),
                admin.getLocalPort(),
                tlsProvider);
    }

    /** Applies enforce-tls12 to new connections at once; open connections keep what they agreed. */
    public void applyTlsPolicy(boolean enforceTls12) {
        try {
            clientTls.reload(f -> TlsPolicy.apply(f, enforceTls12));
            LOG.info("client connector TLS policy: enforce-tls12={}", enforceTls12);
        } catch (Exception e) {
            LOG.error("could not apply the TLS policy: {}", e.toString());
        }
    }

    /**
     * Puts a renewed certificate and key in service on one connector ({@link #CLIENT}, {@link #CHANNEL},
     * {@link #ADMIN}): new handshakes use them; open connections, which have their session, stay.
     * The same provider and trust as before; the client connector keeps its TLS policy.
     */
    public void reloadKeys(String connector, KeyMaterial keys) throws Exception {
        SslContextFactory.Server tls;
        TrustManager trust;
        switch (connector) {
            case CLIENT -> {
                tls = clientTls;
                trust = clientTrust;
            }
            case CHANNEL -> {
                tls = channelTls;
                trust = channelTrust;
            }
            case ADMIN -> {
                tls = adminTls;
                trust = adminTrust;
            }
            default -> throw new IllegalArgumentException("no connector " + connector);
        }
        SSLContext context = sslContext(configuredProvider, keys, trust);
        tls.reload(f -> f.setSslContext(context));
        if (tls == clientTls && clientEngines != null) {
            synchronized (this) {
                clientEngines = clientEngines.withKeys(keys);
            }
        }
    }

    /**
     * The session ticket keys of the client connector, 48 bytes each, the first sealing new tickets
     * (see {@link NettyClientTls#useTicketKeys}); ignored unless it runs on Netty's engines.
     */
    public synchronized void useTicketKeys(List<byte[]> keys) {
        NettyClientTls netty = clientEngines;
        if (netty != null) {
            netty.useTicketKeys(keys);
        }
    }

    /** The client connector's session tickets so far, or null where it does not run on Netty's engines. */
    public NettyClientTls.TicketCounts ticketCounts() {
        NettyClientTls netty = clientEngines;
        return netty == null ? null : netty.ticketCounts();
    }

    /** Draining: every answer on the client connector closes its connection from now on. */
    public void beginDrain() {
        clientDrain.begin();
    }

    /** Every connector stops accepting (its listening socket closes); open connections stay. */
    public void stopAccepting() {
        client.shutdown();
        admin.shutdown();
        channel.shutdown();
    }

    /** Device requests being handled now. */
    public int clientRequestsInFlight() {
        return clientDrain.inFlight();
    }

    /** Open device connections (TLS handshakes, kept-alive ones, WebSockets). */
    public int clientConnections() {
        return client.getConnectedEndPoints().size();
    }

    /**
     * Waits until no device request is in flight and no device connection is open, closing the
     * connections that carry no request; false if {@code deadlineNanos} (System.nanoTime) came first.
     */
    public boolean awaitClientsGone(long deadlineNanos) throws InterruptedException {
        while (clientRequestsInFlight() > 0 || clientConnections() > 0) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            clientDrain.closeIdle();
            Thread.sleep(50);
        }
        return true;
    }

    /** The TLS provider the connectors run on (the JDK's where Conscrypt was asked for but cannot load). */
    public TlsProvider tlsProvider() {
        return tlsProvider;
    }

    public int clientPort() {
        return client.getLocalPort();
    }

    public int channelPort() {
        return channel.getLocalPort();
    }

    public int adminPort() {
        return admin.getLocalPort();
    }

    public Server jetty() {
        return server;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /**
     * Hands each request to the handler of the connector it arrived on, on a virtual thread of its own.
     * The router itself never blocks, so Jetty runs the TLS handshake, the reads and the HTTP parsing on
     * the selector thread that saw the socket readable, without a hand-off per TLS flight
     * (bench/RESULTS.md, tls-provider.sh 2026-12-03 19:12 against 19:31: a quarter to a half more full
     * handshakes per second); the handlers (plugins, the store, the channel, logging) run where blocking
     * costs one request, not a selector.
     */
    private static final class ConnectorRouter extends Handler.Sequence {
        private final Executor handlerThreads;
        private final Handler clientHandler;
        private final Handler channelHandler;
        private final Handler adminHandler;

        ConnectorRouter(Executor handlerThreads, Handler clientHandler, Handler channelHandler, Handler adminHandler) {
            super(clientHandler, channelHandler, adminHandler);
            this.handlerThreads = handlerThreads;
            this.clientHandler = clientHandler;
            this.channelHandler = channelHandler;
            this.adminHandler = adminHandler;
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Handler handler =
                    switch (request.getConnectionMetaData().getConnector().getName()) {
                        case CLIENT -> clientHandler;
                        case CHANNEL -> channelHandler;
                        case ADMIN -> adminHandler;
                        default -> null;
                    };
            if (handler == null) {
                return false;
            }
            handlerThreads.execute(() -> {
                try {
                    if (!handler.handle(request, response, callback)) {
                        Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                    }
                } catch (Throwable x) {
                    callback.failed(x); // Jetty answers 500 through the error handler: no stack trace
                }
            });
            return true;
        }
    }
}
