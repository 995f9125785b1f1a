package org.opencmg.api;

import java.util.List;
import java.util.Set;
import org.pf4j.ExtensionPoint;

/** A kind of site role that can be published through the gateway (management point, software update point). */
public interface Role extends ExtensionPoint {

    /** Short kind used on the command line: "mp", "sup". */
    String kind();

    /** The endpoints to publish for one instance of the role. */
    List<Endpoint> endpoints(String roleId, String internalBaseUrl);

    /**
     * The request headers this role's endpoints need the site to see, beyond the standard entity
     * and conditional headers that always pass (Accept*, Cache-Control, Content-Type/Length/Encoding/
     * Language/MD5/Range, Date, If-*, Pragma, Range, User-Agent). Case does not matter.
     * A device's header that neither set names is dropped at the gateway and counted by name
     * ({@code cmg_request_headers_dropped_total}), so declare every header the role's servers read:
     * for a management point its CCM headers, for a SOAP service {@code SOAPAction}, for BITS
     * uploads the {@code BITS-*} headers. Hop-by-hop headers, {@code Host}, {@code Authorization}
     * and the gateway's own {@code X-OpenCMG-*} headers cannot be declared: they are ignored.
     * The default declares none.
     */
    default Set<String> requestHeaders() {
        return Set.of();
    }
}
