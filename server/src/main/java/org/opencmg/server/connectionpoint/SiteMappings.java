package org.opencmg.server.connectionpoint;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The mappings of this connection point's site as last replicated from a gateway: immutable. */
record SiteMappings(long revision, Map<String, Mapping> byExternalPath) {

    static final SiteMappings NONE = new SiteMappings(-1, Map.of());

    record Mapping(String externalPath, String internalUrl, Set<String> methods) {
    }

    static SiteMappings of(long revision, List<Mapping> mappings) {
        var map = new HashMap<String, Mapping>();
        mappings.forEach(m -> map.put(m.externalPath().toLowerCase(Locale.ROOT), m));
        return new SiteMappings(revision, Map.copyOf(map));
    }

    Optional<Mapping> find(String externalPath) {
        return Optional.ofNullable(byExternalPath.get(externalPath.toLowerCase(Locale.ROOT)));
    }
}
