package org.opencmg.server.pipeline;

import java.util.function.Supplier;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Step 3b: find the published mapping for a canonical path (404 if none: never forwarded), then
 * check the method against the endpoint's allow-list (405).
 */
public final class MappingStep {

    private final Supplier<MappingSnapshot> mappings;

    public MappingStep(Supplier<MappingSnapshot> mappings) {
        this.mappings = mappings;
    }

    public MappingSnapshot.Match match(CanonicalPath path, String method) {
        var match =
                mappings.get().match(path).orElseThrow(() -> new RequestRefused(Refusal.UNMAPPED_PATH, path.encoded()));
        if (!match.endpoint().endpoint().methods().contains(method)) {
            throw new RequestRefused(
                    Refusal.METHOD_NOT_ALLOWED,
                    method + " on " + match.endpoint().endpoint().externalPath());
        }
        return match;
    }
}
