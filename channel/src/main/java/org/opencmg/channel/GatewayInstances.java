package org.opencmg.channel;

import java.util.List;

/**
 * The gateway instances that share a store and are alive (their heartbeat is fresh), as one of them
 * tells its connection points: each instance's name and the URL of its channel connector. A
 * connection point dials every listed instance it has no channel to, so a new instance needs no
 * change on the premises.
 */
public record GatewayInstances(List<Instance> instances) {

    public GatewayInstances {
        instances = instances == null ? List.of() : List.copyOf(instances);
    }

    /** @param channelUrl where connection points dial it ({@code https://host:port}) */
    public record Instance(String name, String channelUrl) {}
}
