package org.opencmg.server.jetty;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.pipeline.Refusals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's Jetty server: named connectors, each pinned to its own handler.
 * <pre>
 *   Server (virtual threads for blocking work)
 *    ├─ connector "client"  TLS, client cert wanted ─▶ ClientPipelineHandler
 *    └─ connector "admin"   TLS, 127.0.0.1          ─▶ admin servlets (REST API, pages)
 * </pre>
 * A handler only ever sees requests of its own connector.
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

    public static final String CLIENT = "client";
    public static final String ADMIN = "admin";

    private final Server server;
    private final ServerConnector client;
    private final ServerConnector admin;
    private final SslContextFactory.Server clientTls;

    public GatewayServer(GatewayConfig config, KeyMaterial clientKeys, KeyMaterial adminKeys,
                         Supplier<List<X509Certificate>> acceptedClientIssuers, boolean enforceTls12,
                         Handler clientHandler, Handler adminHandler, Refusals refusals) throws GeneralSecurityException {
        var threads = new QueuedThreadPool(200, 8);
        threads.setName("cmg");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        server.setErrorHandler(new PlainErrorHandler(refusals));

        clientTls = new SslContextFactory.Server();
        clientTls.setSslContext(sslContext(clientKeys, new DeferredClientTrustManager(acceptedClientIssuers)));
        clientTls.setWantClientAuth(true);
        TlsPolicy.apply(clientTls, enforceTls12);
        client = connector(CLIENT, config.client(), clientTls, config);

        var adminTls = new SslContextFactory.Server();
        adminTls.setSslContext(sslContext(adminKeys, null));
        TlsPolicy.apply(adminTls, true);
        admin = connector(ADMIN, config.admin(), adminTls, config);

        server.addConnector(client);
        server.addConnector(admin);
        server.setHandler(new ConnectorRouter(clientHandler, adminHandler));
        server.setStopAtShutdown(false);
    }

    private ServerConnector connector(String name, GatewayConfig.Listener listener, SslContextFactory.Server tls,
                                      GatewayConfig config) {
        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setSendDateHeader(true);
        // No leniency at all: bare LF, folded headers, CL with TE, duplicate CL/Host, HTTP/0.9 are refused.
        http.setHttpCompliance(HttpCompliance.STRICT);
        // Our PathNormalizer refuses ambiguous paths with a logged reason; let them reach it.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setRequestHeaderSize(16 * 1024);
        var secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        secure.setStsMaxAge(-1);
        http.addCustomizer(secure);
        var connector = new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"),
                new HttpConnectionFactory(http));
        connector.setName(name);
        connector.setHost(listener.host());
        connector.setPort(listener.port());
        connector.setIdleTimeout(config.timeouts().idle().toMillis());
        connector.setAcceptQueueSize(1024);
        return connector;
    }

    private static SSLContext sslContext(KeyMaterial keys, TrustManager trust) throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys.keyManagers(), trust == null ? null : new TrustManager[] {trust}, new SecureRandom());
        return ctx;
    }

    public void start() throws Exception {
        server.start();
        LOG.info("client connector on {}:{}, admin connector on {}:{}", client.getHost(), client.getLocalPort(),
                admin.getHost(), admin.getLocalPort());
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

    public int clientPort() {
        return client.getLocalPort();
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

    /** Dispatches by the name of the connector a request arrived on. */
    private static final class ConnectorRouter extends Handler.Sequence {
        private final Handler clientHandler;
        private final Handler adminHandler;

        ConnectorRouter(Handler clientHandler, Handler adminHandler) {
            super(clientHandler, adminHandler);
            this.clientHandler = clientHandler;
            this.adminHandler = adminHandler;
        }

        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                              org.eclipse.jetty.util.Callback callback) throws Exception {
            String name = request.getConnectionMetaData().getConnector().getName();
            if (CLIENT.equals(name)) {
                return clientHandler.handle(request, response, callback);
            }
            if (ADMIN.equals(name)) {
                return adminHandler.handle(request, response, callback);
            }
            return false;
        }
    }
}
