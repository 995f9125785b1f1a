package org.opencmg.connectionpoint;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.opencmg.channel.GatewayInstances;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds gateway instances the configuration does not name: every gateway tells its connection points
 * which instances share its store and are alive, and this point dials each one it has no channel to.
 * A discovered link is hung up once no gateway lists its instance and its channel is down (the
 * instance stopped or died); the configured gateways are always dialled. A point never keeps two
 * channels to one instance (the gateway would replace one by the other, back and forth): a
 * discovered link that reaches an instance another link serves steps aside.
 */
final class Discovery {

    private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);

    /** The connection point's links, which discovery adds to and removes from. */
    interface Links {
        List<GatewayLink> all();

        /** Dials an instance a gateway listed under {@code instance} at {@code channelUrl}. */
        void dial(String instance, URI channelUrl);

        void hangUp(GatewayLink link);
    }

    private final Links links;

    Discovery(Links links) {
        this.links = links;
    }

    /**
     * A gateway's list of the live instances. Nothing is dialled while a configured link is still on its
     * first attempt: it may reach one of the listed instances under another name (the list comes again).
     */
    synchronized void heard(GatewayInstances list) {
        boolean settled = links.all().stream().allMatch(l -> l.discovered() || l.settled());
        Set<URI> listed = new HashSet<>();
        for (GatewayInstances.Instance instance : list.instances()) {
            URI url;
            try {
                url = URI.create(instance.channelUrl());
            } catch (IllegalArgumentException | NullPointerException e) {
                LOG.warn(
                        "gateway instance {} advertises an unusable channel URL: {}",
                        instance.name(),
                        instance.channelUrl());
                continue;
            }
            if (!"https".equals(url.getScheme()) || url.getHost() == null) {
                LOG.warn(
                        "gateway instance {} advertises an unusable channel URL: {}",
                        instance.name(),
                        instance.channelUrl());
                continue;
            }
            listed.add(url);
            boolean known = links.all().stream()
                    .anyMatch(l -> instance.name().equals(l.welcomedInstance())
                            || l.gateway().equals(url));
            if (!known && settled) {
                LOG.info("gateway instance {} discovered at {}: dialling it", instance.name(), url);
                links.dial(instance.name(), url);
            }
        }
        for (GatewayLink link : links.all()) {
            if (link.discovered() && !link.up() && !listed.contains(link.gateway())) {
                LOG.info(
                        "gateway instance at {} is no longer listed and its channel is down: no longer dialled",
                        link.gateway());
                links.hangUp(link);
            } else if (link.discovered() && servedByAnother(link, link.listedAs())) {
                links.hangUp(link); // a configured link said hello from that instance meanwhile
            }
        }
    }

    private boolean servedByAnother(GatewayLink link, String instance) {
        return links.all().stream().anyMatch(l -> l != link && instance.equals(l.welcomedInstance()));
    }

    /**
     * Whether {@code link} may serve the channel to {@code instance} that just said hello. A
     * configured link wins over a discovered one reaching the same instance.
     */
    synchronized boolean admit(GatewayLink link, String instance) {
        for (GatewayLink other : links.all()) {
            if (other == link) {
                continue;
            }
            if (!link.discovered()
                    && other.discovered()
                    && instance.equals(other.listedAs())
                    && other.welcomedInstance() == null) {
                links.hangUp(other); // still dialling an instance this configured link reached
                continue;
            }
            if (!instance.equals(other.welcomedInstance())) {
                continue;
            }
            if (link.discovered()) {
                LOG.info(
                        "{} reaches gateway instance {}, which {} serves already: not dialled again",
                        link.gateway(),
                        instance,
                        other.gateway());
                links.hangUp(link);
                return false;
            }
            if (other.discovered()) {
                links.hangUp(other);
            }
        }
        return true;
    }
}
