package org.opencmg.server.pipeline;

import org.opencmg.api.Device;
import org.opencmg.channel.HeaderPolicy;
import org.opencmg.server.store.PublishedEndpoint;

/**
 * Where a request that passed every check goes: the endpoint, the canonical path after the
 * endpoint's prefix and the validated query, and the endpoint's header policy. Only this is
 * forwarded, never the raw target, and of the device's headers only what the policy lets through.
 */
public record Route(
        PublishedEndpoint endpoint,
        String method,
        CanonicalPath path,
        int prefixSegments,
        String query,
        Device device,
        HeaderPolicy headers) {

    /** A route whose site sees the standard headers only. */
    public Route(
            PublishedEndpoint endpoint,
            String method,
            CanonicalPath path,
            int prefixSegments,
            String query,
            Device device) {
        this(endpoint, method, path, prefixSegments, query, device, HeaderPolicy.STANDARD_ONLY);
    }

    /** The internal URL: the endpoint's internal URL, the canonical rest of the path, the query. */
    public String internalTarget() {
        String base = endpoint.endpoint().internalUrl();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String rest = path.suffix(prefixSegments);
        return base + rest + (query.isEmpty() ? "" : "?" + query);
    }

    public String site() {
        return endpoint.site();
    }
}
