package org.opencmg.server.connectionpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.Executors;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.opencmg.server.jetty.KeyMaterial;

/** The two HTTP clients of a connection point: HTTP/2 to a gateway, HTTP/1.1 to internal servers. */
final class HttpClients {

    private HttpClients() {
    }

    /** One HTTP/2 connection (the channel) to one gateway instance, presenting the connection point's certificate. */
    static HttpClient channel(KeyMaterial identity, Path gatewayCa) throws GeneralSecurityException, IOException {
        var tls = tls(identity, gatewayCa);
        var connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        connector.setExecutor(threads("cp-channel"));
        var h2 = new HTTP2Client(connector);
        h2.setInitialStreamRecvWindow(1024 * 1024);
        h2.setInitialSessionRecvWindow(16 * 1024 * 1024);
        h2.setMaxConcurrentPushedStreams(0);
        var client = new HttpClient(new HttpClientTransportOverHTTP2(h2));
        client.setMaxConnectionsPerDestination(1);
        client.setMaxRequestsQueuedPerDestination(100_000);
        configureCommon(client);
        return client;
    }

    /** A bounded pool of HTTP/1.1 connections per internal server, not one per device. */
    static HttpClient internal(ConnectionPointConfig.Internal config) throws GeneralSecurityException, IOException {
        var tls = tls(KeyMaterial.read(config.clientCertificate(), config.clientKey()), config.ca());
        var connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        connector.setExecutor(threads("cp-internal"));
        var client = new HttpClient(new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(connector));
        client.setMaxConnectionsPerDestination(config.maxConnectionsPerServer());
        client.setMaxRequestsQueuedPerDestination(100_000);
        client.setIdleTimeout(60_000);
        configureCommon(client);
        return client;
    }

    /** A forwarder passes bodies as they are: no redirects followed, no decoding, no cookies, no agent. */
    private static void configureCommon(HttpClient client) {
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(null);
        // HttpClient.start() installs every decoder on the class path (gzip ships in lib/) when it
        // has none, and then sends Accept-Encoding and decodes answers: clear them once started.
        client.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStarted(LifeCycle event) {
                client.getContentDecoderFactories().clear();
            }
        });
        client.setConnectTimeout(10_000);
    }

    private static SslContextFactory.Client tls(KeyMaterial identity, Path ca) throws GeneralSecurityException, IOException {
        var tls = new SslContextFactory.Client();
        tls.setKeyStore(identity.keyStore());
        tls.setKeyStorePassword(KeyMaterial.TRANSIENT_PASSWORD);
        if (ca != null) {
            tls.setTrustStore(KeyMaterial.trustStore(ca));
        }
        tls.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        return tls;
    }

    private static QueuedThreadPool threads(String name) {
        var pool = new QueuedThreadPool(64, 2);
        pool.setName(name);
        pool.setDaemon(true);
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        return pool;
    }
}
