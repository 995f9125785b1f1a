package org.opencmg.api;

import java.io.IOException;
import java.util.List;
import org.pf4j.ExtensionPoint;

/**
 * Something the gateway answers itself instead of forwarding it to a site: a token service, a
 * tenant lookup. A service sees the request after framing and path checks; it is handed the
 * authenticated devices (possibly none: a service that accepts anonymous requests must check
 * credentials itself) and must refuse whatever it does not explicitly allow.
 */
public interface GatewayService extends ExtensionPoint {

    /**
     * Canonical path patterns answered, matched case-insensitively segment by segment: {@code *}
     * matches one segment, a final {@code **} any remainder, e.g. "/CCM_Proxy_ServerAuth/&#42;/CCM_STS/&#42;&#42;".
     */
    List<String> paths();

    /** True if requests without any authenticated device may reach {@link #handle} (they then get 401 otherwise). */
    default boolean allowsAnonymous() {
        return false;
    }

    /** Never null. An {@link IOException} or a runtime exception is answered 500 and logged. */
    ServiceResponse handle(ServiceRequest request) throws IOException;
}
