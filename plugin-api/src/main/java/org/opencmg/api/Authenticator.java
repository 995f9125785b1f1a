package org.opencmg.api;

import java.util.Map;
import org.pf4j.ExtensionPoint;

/**
 * One way a device proves who it is (client certificate, site token, Entra ID token).
 *
 * <p>The gateway asks each authenticator in order; the first {@link AuthOutcome.Authenticated}
 * wins, a {@link AuthOutcome.Refused} stops the request, {@link AuthOutcome.NotMine} passes on.
 * Implementations must be thread-safe and must not throw: the host wraps them anyway and turns an
 * exception into a refusal of this method's requests only.
 */
public interface Authenticator extends ExtensionPoint {

    /** Stable id of the method ("pki", "token", "entra"); endpoints name the methods they accept by it. */
    String method();

    /** Never null. May block briefly (e.g. a CRL fetch on a cache miss). */
    AuthOutcome authenticate(ClientRequest request);

    /**
     * Counters of this instance the status API and the dashboard show (e.g. certificates accepted without a
     * revocation check in soft mode), by stable snake_case name. Cheap; none by default.
     */
    default Map<String, Long> counters() {
        return Map.of();
    }
}
