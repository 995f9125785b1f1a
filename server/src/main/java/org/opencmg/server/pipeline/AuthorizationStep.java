package org.opencmg.server.pipeline;

import org.opencmg.api.Device;
import org.opencmg.server.store.PublishedEndpoint;

/**
 * Step 3c: the endpoint names the authentication methods whose devices may use it
 * (MutualAuth paths take certificates, ServerAuth paths tokens). Anything else: 403.
 */
public final class AuthorizationStep {

    public void check(Device device, PublishedEndpoint endpoint) {
        if (!endpoint.endpoint().authMethods().contains(device.method())) {
            throw new RequestRefused(403, "auth_method_not_accepted",
                    device.method() + " device on endpoint accepting " + endpoint.endpoint().authMethods());
        }
    }
}
