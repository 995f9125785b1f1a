package org.opencmg.server.store;

import java.time.Instant;
import java.util.Locale;
import org.opencmg.api.Endpoint;

/**
 * An endpoint as published on this gateway: the mapping itself plus the site whose connection
 * points serve it and who published it.
 */
public record PublishedEndpoint(
        Endpoint endpoint, String site, String roleKind, String roleId, Instant publishedAt, String publishedBy) {

    public PublishedEndpoint withRole(String kind, String id) {
        return new PublishedEndpoint(endpoint, site, kind, id, publishedAt, publishedBy);
    }

    public String externalPathKey() {
        return endpoint.externalPath().toLowerCase(Locale.ROOT);
    }
}
