package org.opencmg.server.pipeline;

import java.time.Instant;
import java.util.Set;
import org.opencmg.api.Endpoint;
import org.opencmg.server.store.PublishedEndpoint;

/** Published endpoints for tests. */
final class Endpoints {

    private Endpoints() {}

    static PublishedEndpoint published(String externalPath, String internalUrl) {
        String name = externalPath.substring(externalPath.lastIndexOf('/') + 1).toLowerCase();
        return new PublishedEndpoint(
                new Endpoint(
                        name, externalPath, internalUrl, Set.of("GET", "CCM_POST"), 5L * 1024 * 1024, Set.of("pki")),
                "site1",
                null,
                null,
                Instant.parse("2025-01-01T00:00:00Z"),
                "test");
    }
}
