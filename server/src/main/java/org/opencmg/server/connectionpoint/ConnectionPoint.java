package org.opencmg.server.connectionpoint;

import java.util.List;
import org.eclipse.jetty.client.HttpClient;
import org.opencmg.server.jetty.KeyMaterial;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-premises half: dials every configured gateway instance (no inbound port is opened) and
 * serves the device requests they hand over from the site's internal role servers.
 */
public final class ConnectionPoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPoint.class);

    private final HttpClient internalClient;
    private final List<GatewayLink> links;

    private ConnectionPoint(HttpClient internalClient, List<GatewayLink> links) {
        this.internalClient = internalClient;
        this.links = links;
    }

    public static ConnectionPoint start(ConnectionPointConfig config) throws Exception {
        KeyMaterial identity = KeyMaterial.read(config.certificate(), config.key());
        HttpClient internal = HttpClients.internal(config.internal());
        internal.start();
        InternalAllowList allowList = config.internal().allowList();
        if (!allowList.restricts()) {
            LOG.warn("internal.allowed-urls is not set: this connection point calls whatever internal URL the gateways map");
        }
        var forwarder = new InternalForwarder(internal, config.internal().responseTimeout().toMillis(), allowList);
        var links = config.gateways().stream()
                .map(g -> new GatewayLink(g, config, identity, forwarder))
                .toList();
        LOG.info("connection point {} dialling {} gateway instance(s)", config.name(), links.size());
        return new ConnectionPoint(internal, links);
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

    @Override
    public void close() {
        // All links at once: each waits for its channel's streams to end, and there may be 16 of them.
        var closing = links.stream().map(link -> Thread.ofVirtual().name("link-close").start(link::close)).toList();
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            internalClient.stop();
        } catch (Exception e) {
            LOG.debug("stopping the internal client: {}", e.toString());
        }
    }
}
