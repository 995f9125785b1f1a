package org.opencmg.server.pipeline;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.opencmg.channel.HeaderPolicy;
import org.opencmg.server.store.PublishedEndpoint;

/**
 * The published mappings as an immutable lookup table: lower-case canonical prefix → endpoint.
 * A request matches the longest published prefix that ends on a segment boundary. Each endpoint
 * comes with its header policy (the standard headers plus its role's declared ones), resolved when
 * the snapshot is built, so the request path does no plugin or database lookups.
 */
public final class MappingSnapshot {

    public static final MappingSnapshot EMPTY = new MappingSnapshot(List.of(), -1);

    private final Map<String, PublishedEndpoint> byPrefix;
    private final Map<String, HeaderPolicy> policies;
    private final List<PublishedEndpoint> endpoints;
    private final int deepest;
    private final long revision;

    /** Every endpoint with the standard headers only. */
    public MappingSnapshot(List<PublishedEndpoint> endpoints, long revision) {
        this(endpoints, revision, e -> HeaderPolicy.STANDARD_ONLY);
    }

    /** @param policyOf each endpoint's header policy (called here, once per endpoint) */
    public MappingSnapshot(
            List<PublishedEndpoint> endpoints, long revision, Function<PublishedEndpoint, HeaderPolicy> policyOf) {
        var map = new HashMap<String, PublishedEndpoint>();
        var policyMap = new HashMap<String, HeaderPolicy>();
        int depth = 0;
        for (var e : endpoints) {
            map.put(e.externalPathKey(), e);
            policyMap.put(e.externalPathKey(), policyOf.apply(e));
            depth = Math.max(depth, (int)
                    e.externalPathKey().chars().filter(c -> c == '/').count());
        }
        this.byPrefix = Map.copyOf(map);
        this.policies = Map.copyOf(policyMap);
        this.endpoints = List.copyOf(endpoints);
        this.deepest = depth;
        this.revision = revision;
    }

    /** A match: the endpoint, how many leading segments its prefix took, and which of a device's headers its site sees. */
    public record Match(PublishedEndpoint endpoint, int prefixSegments, HeaderPolicy headers) {}

    public Optional<Match> match(CanonicalPath path) {
        for (int n = Math.min(deepest, path.segments().size()); n > 0; n--) {
            var e = byPrefix.get(path.prefixKey(n));
            if (e != null) {
                return Optional.of(new Match(e, n, policies.get(path.prefixKey(n))));
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
