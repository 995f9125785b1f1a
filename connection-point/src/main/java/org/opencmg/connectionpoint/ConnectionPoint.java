package org.opencmg.connectionpoint;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.opencmg.pki.CertificateReloader;
import org.opencmg.pki.KeyMaterial;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-premises half: dials every configured gateway instance, and every other one the gateways
 * list ({@link Discovery}; no inbound port is opened), serves
 * the HTTP/2 streams each opens on its channel, and proxies every device request to the site's
 * internal role servers.
 * <pre>
 *   channel stream ─▶ ControlHandler (hello, mappings) ─▶ MappingCheck (deny by default)
 *                  ─▶ WebSocketTunnel (extended CONNECT: a WebSocket to the internal server, then a byte pipe)
 *                  ─▶ FirstBytes (a body's start is here) ─▶ SiteProxy ─▶ internal server
 * </pre>
 */
public final class ConnectionPoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPoint.class);

    private final Server server;
    private final HttpClient internalClient;
    private final List<GatewayLink> links = new CopyOnWriteArrayList<>();
    private final ServerConnector monitor;
    private final ExchangeMeter exchanges;
    private volatile boolean stopping;

    private final NotificationRelay notifications;
    private final CertificateReloader certificates;

    private ConnectionPoint(
            Server server,
            HttpClient internalClient,
            ServerConnector monitor,
            ExchangeMeter exchanges,
            NotificationRelay notifications,
            CertificateReloader certificates) {
        this.server = server;
        this.certificates = certificates;
        this.notifications = notifications;
        this.internalClient = internalClient;
        this.monitor = monitor;
        this.exchanges = exchanges;
    }

    public static ConnectionPoint start(ConnectionPointConfig config) throws Exception {
        KeyMaterial identity = KeyMaterial.read(config.certificate(), config.key());
        HttpClient internal = HttpClients.internal(config.internal(), config.tlsProvider());
        InternalAllowList allowList = config.internal().allowList();
        if (!allowList.restricts()) {
            LOG.warn(
                    "internal.allowed-urls is not set: this connection point calls whatever internal URL the gateways map");
        }
        var server = new Server(HttpClients.threads("cp-channel"));
        var exchanges = new ExchangeMeter(new MappingCheck(
                allowList,
                new WebSocketTunnel(
                        internal,
                        new FirstBytes(new SiteProxy(
                                internal, config.internal().responseTimeout().toMillis())))));
        var dialler = new ClientConnector();
        dialler.setSslContextFactory(HttpClients.channelTls(identity, config.gatewayCa(), config.tlsProvider()));
        dialler.setConnectTimeout(Duration.ofSeconds(10));
        dialler.setExecutor(server.getThreadPool());
        dialler.setIdleTimeout(config.heartbeatInterval().multipliedBy(3));
        server.addBean(dialler);
        ServerConnector monitor = null;
        if (config.monitor() != null) {
            monitor = new ServerConnector(server, 1, 1);
            monitor.setName(MonitorHandler.CONNECTOR);
            monitor.setHost(config.monitor().host());
            monitor.setPort(config.monitor().port());
            server.addConnector(monitor);
        }
        var notifications = new NotificationRelay(server.getScheduler());
        // Renewed certificates are put in service without a restart (SIGHUP, or their files change):
        // new channels and new connections to internal servers present them; open ones stay up.
        var reloads = new CertificateReloads(CHANNEL_IDENTITY, INTERNAL_IDENTITY);
        var certificates = new CertificateReloader(Clock.systemUTC(), reloads);
        var channelTls = dialler.getSslContextFactory();
        certificates.register(
                CHANNEL_IDENTITY,
                config.certificate(),
                config.key(),
                identity,
                keys -> channelTls.reload(f -> f.setKeyStore(keyStore(keys))));
        var internalTls = internal.getSslContextFactory();
        certificates.register(
                INTERNAL_IDENTITY,
                config.internal().clientCertificate(),
                config.internal().clientKey(),
                KeyMaterial.read(
                        config.internal().clientCertificate(), config.internal().clientKey()),
                keys -> internalTls.reload(f -> f.setKeyStore(keyStore(keys))));
        var point = new ConnectionPoint(server, internal, monitor, exchanges, notifications, certificates);
        var dialling = point.new Dialler(config, dialler);
        var discovery = new Discovery(dialling);
        dialling.discovery = discovery;
        var configured = new ArrayList<DialledConnector>();
        for (URI gateway : config.gateways()) {
            var link = new GatewayLink(gateway, config, dialler, dialler.getSslContextFactory(), discovery, null);
            configured.add(new DialledConnector(server, link));
            server.addConnector(configured.getLast());
            point.links.add(link);
        }
        server.setHandler(new Handler.Sequence(
                new NotificationPush(notifications, config.notificationSenders()),
                new MonitorHandler(point::status, () -> point.stopping, exchanges, notifications, reloads),
                new ControlHandler(notifications, discovery, exchanges)));
        server.start();
        internal.start();
        for (DialledConnector connector : configured) {
            connector.link().start(connector);
        }
        certificates.start(config.tlsWatchInterval());
        LOG.info("connection point {} dialling {} gateway instance(s)", config.name(), point.links.size());
        if (monitor != null) {
            LOG.info(
                    "monitor listener (/health/live, /health/ready, /metrics) on http://{}:{}",
                    monitor.getHost(),
                    monitor.getLocalPort());
        }
        return point;
    }

    /** Adds and removes the links {@link Discovery} finds, each with its own connector, while the point runs. */
    private final class Dialler implements Discovery.Links {
        private final ConnectionPointConfig config;
        private final ClientConnector dialler;
        private Discovery discovery;

        Dialler(ConnectionPointConfig config, ClientConnector dialler) {
            this.config = config;
            this.dialler = dialler;
        }

        @Override
        public List<GatewayLink> all() {
            return links;
        }

        @Override
        public void dial(String instance, URI channelUrl) {
            if (stopping) {
                return;
            }
            var link =
                    new GatewayLink(channelUrl, config, dialler, dialler.getSslContextFactory(), discovery, instance);
            var connector = new DialledConnector(server, link);
            try {
                server.addConnector(connector);
                if (!connector.isStarted()) {
                    connector.start();
                }
            } catch (Exception e) {
                server.removeConnector(connector);
                LOG.warn("cannot dial discovered gateway instance {}: {}", channelUrl, e.toString());
                return;
            }
            links.add(link);
            link.start(connector);
        }

        @Override
        public void hangUp(GatewayLink link) {
            if (!links.remove(link)) {
                return;
            }
            // Closing waits for the link's dialling loop: not on the thread that decided it.
            Thread.ofVirtual().name("link-hang-up").start(() -> {
                link.close();
                var connector = link.connector();
                if (connector != null) {
                    server.removeConnector(connector);
                    try {
                        connector.stop();
                    } catch (Exception e) {
                        LOG.debug("stopping the connector of {}: {}", link.gateway(), e.toString());
                    }
                }
            });
        }
    }

    /** The identity presented on the channels to the gateways, and the one presented to internal servers. */
    static final String CHANNEL_IDENTITY = "channel";

    static final String INTERNAL_IDENTITY = "internal";

    private static KeyStore keyStore(KeyMaterial keys) {
        try {
            return keys.keyStore();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * SIGHUP: reads the certificate and key files again and puts in service those that changed and
     * pass the checks; one line per identity says what happened.
     */
    public List<String> reloadCertificates() {
        return certificates.reloadAll();
    }

    /** The site's client notifications, relayed to every gateway instance. */
    public NotificationRelay notifications() {
        return notifications;
    }

    /** The monitor listener's port (-1 when it is off). */
    public int monitorPort() {
        return monitor == null ? -1 : monitor.getLocalPort();
    }

    public List<LinkStatus> status() {
        return links.stream().map(GatewayLink::status).toList();
    }

    /** True once every gateway link is up. */
    public boolean allUp() {
        return links.stream().allMatch(l -> "up".equals(l.status().state()));
    }

    /** Cuts every channel at once (they are dialled again): for tests and for operators' drills. */
    public void abortChannels() {
        links.forEach(GatewayLink::abort);
    }

    /** How long a stopping connection point lets the exchanges in flight finish (a GOAWAY to every gateway first). */
    static final Duration DRAIN = Duration.ofSeconds(30);

    @Override
    public void close() {
        certificates.close();
        notifications.end(); // held streams would keep every channel's drain waiting
        stopping = true; // /health/ready answers 503 from now on
        var closing = links.stream()
                .map(link -> Thread.ofVirtual().name("link-close").start(() -> {
                    link.drain(DRAIN);
                    link.close();
                }))
                .toList();
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            server.stop();
            internalClient.stop();
        } catch (Exception e) {
            LOG.debug("stopping the connection point: {}", e.toString());
        }
    }
}
