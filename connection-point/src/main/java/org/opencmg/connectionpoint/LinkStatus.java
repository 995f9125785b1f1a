package org.opencmg.connectionpoint;

import java.net.URI;
import java.time.Instant;

/** How one gateway link looks from the connection point; discovered: dialled because a gateway listed its instance. */
public record LinkStatus(
        URI gateway,
        String state,
        Instant since,
        Instant lastHeartbeat,
        long rttMicros,
        String instance,
        long mappingsRevision,
        int mappings,
        String lastError,
        boolean discovered) {}
