package org.opencmg.api;

import java.util.List;
import org.pf4j.ExtensionPoint;

/** A kind of site role that can be published through the gateway (management point, software update point). */
public interface Role extends ExtensionPoint {

    /** Short kind used on the command line: "mp", "sup". */
    String kind();

    /** The endpoints to publish for one instance of the role. */
    List<Endpoint> endpoints(String roleId, String internalBaseUrl);
}
