package org.opencmg.server.pipeline;

import java.util.List;
import org.opencmg.api.Device;
import org.opencmg.server.store.PublishedEndpoint;

/**
 * Step 3c: the endpoint names the authentication methods whose devices may use it. The first
 * authenticated device of an accepted method is the one the request goes on as. None: a
 * certificate endpoint (MutualAuth) answers 403 as IIS does for a missing client certificate; a
 * token endpoint (ServerAuth) answers 401 with a Bearer challenge.
 */
public final class AuthorizationStep {

    public static final String PKI = "pki";

    public Device choose(List<Device> devices, PublishedEndpoint endpoint) {
        var accepted = endpoint.endpoint().authMethods();
        for (Device d : devices) {
            if (accepted.contains(d.method())) {
                return d;
            }
        }
        String presented = devices.stream().map(Device::method).toList().toString();
        if (accepted.contains(PKI)) {
            throw new RequestRefused(403, "client_certificate_required", "endpoint accepts " + accepted + ", request had " + presented);
        }
        throw new RequestRefused(401, "token_required", "endpoint accepts " + accepted + ", request had " + presented);
    }
}
