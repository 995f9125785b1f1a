package org.opencmg.connectionpoint;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.pki.TlsProvider;

/** The TLS of a connection point's channels, and its HTTP/1.1 client to the internal servers. */
final class HttpClients {

    private HttpClients() {}

    /** The TLS of the channels: this point's certificate, and the gateways' CA (TLS 1.3 and 1.2 only). */
    static SslContextFactory.Client channelTls(KeyMaterial identity, Path gatewayCa, TlsProvider provider)
            throws GeneralSecurityException, IOException {
        return tls(identity, gatewayCa, InternalAllowList.ANY, provider);
    }

    /** A bounded pool of HTTP/1.1 connections per internal server, not one per device. */
    static HttpClient internal(ConnectionPointConfig.Internal config, TlsProvider provider)
            throws GeneralSecurityException, IOException {
        var tls = tls(
                KeyMaterial.read(config.clientCertificate(), config.clientKey()),
                config.ca(),
                config.allowList(),
                provider);
        var connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        connector.setExecutor(threads("cp-internal"));
        var client = new HttpClient(new HttpClientTransportOverHTTP(connector));
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

    /** The JDK's key and trust managers judge and choose certificates; {@code provider} runs the protocol. */
    private static SslContextFactory.Client tls(
            KeyMaterial identity, Path ca, InternalAllowList certificateTo, TlsProvider provider)
            throws GeneralSecurityException, IOException {
        var tls = certificateTo.restricts() ? new CertificateOnlyTo(certificateTo) : new SslContextFactory.Client();
        tls.setProvider(provider.jcaName());
        tls.setKeyStore(identity.keyStore());
        tls.setKeyStorePassword(KeyMaterial.TRANSIENT_PASSWORD);
        if (ca != null) {
            tls.setTrustStore(KeyMaterial.trustStore(ca));
        }
        tls.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        return tls;
    }

    /** Shows the client certificate only to servers on the allow-list; others see no certificate. */
    private static final class CertificateOnlyTo extends SslContextFactory.Client {
        private final InternalAllowList allowList;

        CertificateOnlyTo(InternalAllowList allowList) {
            this.allowList = allowList;
        }

        @Override
        protected KeyManager[] getKeyManagers(KeyStore keyStore) throws Exception {
            KeyManager[] managers = super.getKeyManagers(keyStore);
            for (int i = 0; i < managers.length; i++) {
                if (managers[i] instanceof X509ExtendedKeyManager km) {
                    managers[i] = new AllowListedClientKey(km, allowList);
                }
            }
            return managers;
        }
    }

    /** A key manager that offers its client key only to allow-listed internal servers. */
    private static final class AllowListedClientKey extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager keys;
        private final InternalAllowList allowList;

        AllowListedClientKey(X509ExtendedKeyManager keys, InternalAllowList allowList) {
            this.keys = keys;
            this.allowList = allowList;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return allowList.presentsCertificateTo(engine.getPeerHost(), engine.getPeerPort())
                    ? keys.chooseEngineClientAlias(keyType, issuers, engine)
                    : null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null; // the internal client uses engines; a socket has no allow-listed peer to check
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return keys.getClientAliases(keyType, issuers);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return keys.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return keys.getPrivateKey(alias);
        }
    }

    static QueuedThreadPool threads(String name) {
        var pool = new QueuedThreadPool(64, 2);
        pool.setName(name);
        pool.setDaemon(true);
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        return pool;
    }
}
