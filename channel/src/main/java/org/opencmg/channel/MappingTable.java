package org.opencmg.channel;

import java.util.List;
import java.util.Set;

/**
 * Every published mapping of one site, as the gateway pushes it to the site's connection points.
 * A higher revision replaces a lower one whole; a connection point never serves an endpoint that
 * its last table does not hold.
 */
public record MappingTable(String site, long revision, List<Mapping> endpoints) {

    /** One endpoint: its external path prefix, the internal base URL it maps to, and its methods. */
    public record Mapping(String externalPath, String internalUrl, Set<String> methods) {}
}
