package org.opencmg.server.pipeline;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.opencmg.server.store.PublishedEndpoint;

/**
 * The published mappings as an immutable lookup table: lower-case canonical prefix → endpoint.
 * A request matches the longest published prefix that ends on a segment boundary.
 */
public final class MappingSnapshot {

    public static final MappingSnapshot EMPTY = new MappingSnapshot(List.of(), -1);

    private final Map<String, PublishedEndpoint> byPrefix;
    private final List<PublishedEndpoint> endpoints;
    private final int deepest;
    private final long revision;

    public MappingSnapshot(List<PublishedEndpoint> endpoints, long revision) {
        var map = new HashMap<String, PublishedEndpoint>();
        int depth = 0;
        for (var e : endpoints) {
            map.put(e.externalPathKey(), e);
            depth = Math.max(depth, (int) e.externalPathKey().chars().filter(c -> c == '/').count());
        }
        this.byPrefix = Map.copyOf(map);
        this.endpoints = List.copyOf(endpoints);
        this.deepest = depth;
        this.revision = revision;
    }

    /** A match: the endpoint and how many leading segments its prefix took. */
    public record Match(PublishedEndpoint endpoint, int prefixSegments) {
    }

    public Optional<Match> match(CanonicalPath path) {
        for (int n = Math.min(deepest, path.segments().size()); n > 0; n--) {
            var e = byPrefix.get(path.prefixKey(n));
            if (e != null) {
                return Optional.of(new Match(e, n));
            }
        }
        return Optional.empty();
    }

    public List<PublishedEndpoint> endpoints() {
        return endpoints;
    }

    public long revision() {
        return revision;
    }
}
