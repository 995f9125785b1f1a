package org.opencmg.server.pipeline;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.opencmg.api.Device;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.store.PublishedEndpoint;

/**
 * Step 3c: the endpoint names the authentication methods whose devices may use it. The first
 * authenticated device of an accepted method is the one the request goes on as. None: a
 * certificate endpoint (MutualAuth) answers 403 as IIS does for a missing client certificate; a
 * token endpoint (ServerAuth) answers 401 with a Bearer challenge. Then the site boundary: a site
 * the administrator bound (setting site-bound) accepts only its own devices, and a device whose
 * credential names another site is refused {@code 403 wrong_site}.
 */
public final class AuthorizationStep {

    public static final String PKI = "pki";

    private final Supplier<Set<String>> boundSites;

    /** @param boundSites the sites whose endpoints accept only their own devices (live: read per request, in memory) */
    public AuthorizationStep(Supplier<Set<String>> boundSites) {
        this.boundSites = boundSites;
    }

    public Device choose(List<Device> devices, PublishedEndpoint endpoint) {
        var accepted = endpoint.endpoint().authMethods();
        for (Device d : devices) {
            if (accepted.contains(d.method())) {
                checkSite(d, endpoint.site());
                return d;
            }
        }
        String presented = devices.stream().map(Device::method).toList().toString();
        if (accepted.contains(PKI)) {
            throw new RequestRefused(
                    Refusal.CLIENT_CERTIFICATE_REQUIRED, "endpoint accepts " + accepted + ", request had " + presented);
        }
        throw new RequestRefused(Refusal.TOKEN_REQUIRED, "endpoint accepts " + accepted + ", request had " + presented);
    }

    private void checkSite(Device device, String endpointSite) {
        var home = device.site();
        if (home.isPresent()
                && !home.get().equals(endpointSite)
                && boundSites.get().contains(endpointSite)) {
            throw new RequestRefused(
                    Refusal.WRONG_SITE,
                    "a device of site " + home.get() + " on an endpoint of site " + endpointSite
                            + ", which accepts only its own devices");
        }
    }
}
